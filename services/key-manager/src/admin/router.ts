/**
 * The admin API (docs/internal-apis.md), on its own port. Every call carries
 * `Authorization: Bearer <KEY_MANAGER_ADMIN_TOKEN>` (constant-time comparison). Every path that
 * ends tokens writes its outbox record first (outbox.ts) and only then changes the rest, so a
 * failure half-way leaves the revocation in force and the caller sees 503 and retries.
 */
import { checkKeyGrants, describeKeyGrantsProblems, keyGrantsDetails } from '@portico/contracts';
import type { ErrorCode, Logger } from '@portico/core';
import { AppError, badRequest, jsonBody, notFound, unauthorized, unavailable } from '@portico/core';
import { makeEvent } from '@portico/events';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import express from 'express';
import type { JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { constantTimeEqual } from '../crypto/hashing.ts';
import { isDependencyDown, isJwt, jwtRevocation } from '../oidc/hooks.ts';
import { GATEWAY_RESOURCE, requestValidity, resourceServerInfo } from '../oidc/provider.ts';
import { isNeverToken, validitySeconds } from '../oidc/validity.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { ClientDoc, ClientStore } from '../store/clients.ts';
import { clientInput, clientPatch, viewOf } from '../store/clients.ts';
import { normalizeDomain, parseUserName } from '../users/domains.ts';
import type { UserStore } from '../users/userStore.ts';
import { newUserInput, userPatch, viewOfUser } from '../users/userStore.ts';

export interface AdminDeps {
  adminToken: string | undefined;
  clients: ClientStore;
  users: UserStore;
  outbox: Outbox;
  provider: Provider;
  domains: ReadonlySet<string>;
  audience: string;
  verifyJwt: (token: string) => Promise<JWTPayload | undefined>;
  bodyLimitBytes: number;
  logger: Logger;
}

const tokenRequest = z
  .object({
    scope: z.string().max(2000).optional(),
    validitySeconds: validitySeconds.optional(),
    revokePrevious: z.boolean().optional(),
  })
  .strict();

const revocationRequest = z
  .object({
    token: z.string().min(1).max(16_384),
    clientId: z.string().min(1).max(256),
    subject: z.string().min(1).max(400),
    domain: z.string().min(1).max(253),
    issuedBefore: z.iso.datetime({ offset: true }),
  })
  .partial()
  .strict()
  .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of token, clientId, subject, domain, issuedBefore',
  });

function requireAdmin(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!token) return next(unavailable('admin API not configured (KEY_MANAGER_ADMIN_TOKEN)', 60));
    const header = req.get('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!presented || !constantTimeEqual(presented, token)) {
      return next(unauthorized('Invalid admin credential', 'invalid_token'));
    }
    next();
  };
}

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap =
  (fn: Handler): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  const { clients, users, outbox, provider } = deps;
  router.use('/admin', requireAdmin(deps.adminToken), jsonBody(deps.bodyLimitBytes));

  /** client.upserted / client.deleted for the gateways (written after the client itself). */
  const announce = async (doc: ClientDoc, deleted = false) => {
    const event = deleted
      ? makeEvent('client.deleted', { revision: doc.revision + 1, clientId: doc._id }, 'key-manager')
      : makeEvent(
          'client.upserted',
          {
            revision: doc.revision,
            clientId: doc._id,
            keyType: doc.keyType,
            tokenFormat: doc.tokenFormat,
            applicationId: doc.applicationId,
            disabled: doc.disabled,
          },
          'key-manager',
        );
    await outbox.clientChanged(event);
  };

  /** The store's rule for application keys (libs/contracts), so both refuse the same clients. */
  const checkGrants = (grantTypes: string[], redirectUris: string[]) => {
    const check = checkKeyGrants({ grantTypes, callbackUrls: redirectUris });
    if (check.ok) return { grantTypes: check.grantTypes, redirectUris: check.callbackUrls };
    const names = { grantTypes: 'grantTypes', callbackUrls: 'redirectUris' };
    const code: ErrorCode = check.problems[0]?.rule ?? 'invalid_grant_types';
    throw badRequest(
      describeKeyGrantsProblems(check.problems, names),
      keyGrantsDetails(check.problems, names),
      code,
    );
  };

  // --- clients ---------------------------------------------------------------------------
  router.post(
    '/admin/clients',
    wrap(async (req, res) => {
      const parsed = clientInput.parse(req.body);
      const input = { ...parsed, ...checkGrants(parsed.grantTypes, parsed.redirectUris) };
      const { doc, secret } = await clients.create(input);
      await announce(doc);
      res.status(201).json({ ...viewOf(doc), clientSecret: secret });
    }),
  );

  router.get(
    '/admin/clients/:clientId',
    wrap(async (req, res) => {
      const doc = await clients.get(String(req.params['clientId']));
      if (!doc) throw notFound('No such client', 'client_not_found');
      res.json(viewOf(doc));
    }),
  );

  router.patch(
    '/admin/clients/:clientId',
    wrap(async (req, res) => {
      let patch = clientPatch.parse(req.body);
      const id = String(req.params['clientId']);
      const current = await clients.get(id);
      if (!current) throw notFound('No such client', 'client_not_found');
      // Checked when they change: disabling an older client must never be refused.
      if (patch.grantTypes !== undefined || patch.redirectUris !== undefined) {
        patch = {
          ...patch,
          ...checkGrants(patch.grantTypes ?? current.grantTypes, patch.redirectUris ?? current.redirectUris),
        };
      }
      // Disabling a key ends its tokens (re-enabling does not bring them back).
      if (patch.disabled === true && !current.disabled) await outbox.clientTokensRevoked(id);
      const doc = await clients.update(id, patch);
      if (!doc) throw notFound('No such client', 'client_not_found');
      await announce(doc);
      res.json(viewOf(doc));
    }),
  );

  router.delete(
    '/admin/clients/:clientId',
    wrap(async (req, res) => {
      const id = String(req.params['clientId']);
      const current = await clients.get(id);
      if (!current) throw notFound('No such client', 'client_not_found');
      await outbox.clientTokensRevoked(id);
      await clients.remove(id);
      await announce(current, true);
      res.status(204).end();
    }),
  );

  router.post(
    '/admin/clients/:clientId/secret',
    wrap(async (req, res) => {
      const id = String(req.params['clientId']);
      if (!(await clients.get(id))) throw notFound('No such client', 'client_not_found');
      await outbox.clientTokensRevoked(id);
      const secret = await clients.setSecret(id);
      if (!secret) throw notFound('No such client', 'client_not_found');
      res.json({ clientSecret: secret });
    }),
  );

  router.post(
    '/admin/clients/:clientId/tokens',
    wrap(async (req, res) => {
      const input = tokenRequest.parse(req.body ?? {});
      const id = String(req.params['clientId']);
      const doc = await clients.get(id);
      if (!doc || doc.disabled) throw notFound('No such client', 'client_not_found');
      if (!doc.grantTypes.includes('client_credentials')) {
        throw badRequest(
          'client is not allowed the client_credentials grant',
          undefined,
          'grant_not_allowed',
        );
      }
      const client = await provider.Client.find(id);
      if (!client) throw notFound('No such client', 'client_not_found');
      if (input.revokePrevious) await outbox.clientTokensRevoked(id);
      const info = resourceServerInfo(client as never, deps.audience);
      const allowed = new Set(info.scope.split(' '));
      const scope = (input.scope ?? '')
        .split(' ')
        .filter((s) => s && allowed.has(s))
        .join(' ');
      const token = new provider.ClientCredentials({ client, scope: scope || undefined } as never);
      token.resourceServer = new provider.ResourceServer(GATEWAY_RESOURCE, info as never);
      if (input.validitySeconds !== undefined) requestValidity(token, input.validitySeconds);
      const value = await token.save();
      const never = isNeverToken((token as unknown as { extra?: Record<string, unknown> }).extra);
      res.setHeader('cache-control', 'no-store');
      res.json({
        access_token: value,
        token_type: 'Bearer',
        ...(never ? {} : { expires_in: token.expiration }),
        scope: scope,
      });
    }),
  );

  // --- revocations -----------------------------------------------------------------------
  router.post(
    '/admin/revocations',
    wrap(async (req, res) => {
      const input = revocationRequest.parse(req.body ?? {});
      if (input.token !== undefined) {
        res.json({ revoked: { token: await revokeToken(input.token) } });
        return;
      }
      if (input.clientId !== undefined) {
        const at = await outbox.clientTokensRevoked(input.clientId);
        res.json({ revoked: { clientId: input.clientId, revokedBefore: at.toISOString() } });
        return;
      }
      if (input.subject !== undefined) {
        const name = parseUserName(input.subject, deps.domains);
        if (!name)
          throw badRequest(
            'subject must be DOMAIN/name of a configured domain',
            undefined,
            'invalid_subject',
          );
        const at = await outbox.userTokensRevoked(name.canonical, name.domain);
        res.json({ revoked: { subject: name.canonical, revokedBefore: at.toISOString() } });
        return;
      }
      if (input.domain !== undefined) {
        const domain = normalizeDomain(input.domain);
        if (!domain || !deps.domains.has(domain))
          throw badRequest('unknown user-store domain', undefined, 'invalid_domain');
        const at = await outbox.domainTokensRevoked(domain);
        res.json({ revoked: { domain, revokedBefore: at.toISOString() } });
        return;
      }
      const before = new Date(input.issuedBefore as string);
      if (before.getTime() > Date.now())
        throw badRequest('issuedBefore must not be in the future', undefined, 'invalid_time');
      await outbox.allTokensRevoked(before);
      res.json({ revoked: { issuedBefore: before.toISOString() } });
    }),
  );

  /** One token, opaque or JWT: true when something was revoked. */
  async function revokeToken(value: string): Promise<boolean> {
    if (isJwt(value)) {
      const payload = await deps.verifyJwt(value);
      if (!payload) return false;
      await outbox.tokenRevoked(jwtRevocation(value, payload));
      return true;
    }
    for (const model of [provider.AccessToken, provider.ClientCredentials, provider.RefreshToken]) {
      const token = await (
        model as unknown as {
          find(v: string): Promise<{ destroy(): Promise<void>; kind: string; grantId?: string } | undefined>;
        }
      ).find(value);
      if (!token) continue;
      await token.destroy();
      if (token.kind === 'RefreshToken' && token.grantId) {
        await (
          provider.AccessToken as unknown as { adapter: { revokeByGrantId(g: string): Promise<void> } }
        ).adapter.revokeByGrantId(token.grantId);
        await (
          provider.RefreshToken as unknown as { adapter: { revokeByGrantId(g: string): Promise<void> } }
        ).adapter.revokeByGrantId(token.grantId);
      }
      return true;
    }
    return false;
  }

  // --- users -----------------------------------------------------------------------------
  const domainParam = (req: Request): string => {
    const domain = normalizeDomain(String(req.params['domain']));
    if (!domain || !deps.domains.has(domain)) throw notFound('No such user store', 'userstore_not_found');
    return domain;
  };
  const userParam = (req: Request) => {
    const domain = domainParam(req);
    const name = parseUserName(`${domain}/${String(req.params['name'])}`, deps.domains);
    if (!name) throw notFound('No such user', 'user_not_found');
    return name;
  };

  router.get(
    '/admin/userstores/:domain/users',
    wrap(async (req, res) => {
      const domain = domainParam(req);
      res.json({ users: (await users.list(domain, 500)).map(viewOfUser) });
    }),
  );

  router.post(
    '/admin/userstores/:domain/users',
    wrap(async (req, res) => {
      const domain = domainParam(req);
      const input = newUserInput.parse(req.body);
      const raw = input.username.includes('/') ? input.username : `${domain}/${input.username}`;
      const name = parseUserName(raw, deps.domains);
      if (!name || name.domain !== domain) {
        throw badRequest('username must be a valid name in this user store', undefined, 'invalid_username');
      }
      try {
        const doc = await users.create(name, input);
        res.status(201).json(viewOfUser(doc));
      } catch (err) {
        if ((err as { code?: unknown }).code === 11000) {
          throw new AppError('User already exists', { status: 409, code: 'user_exists' });
        }
        throw err;
      }
    }),
  );

  router.get(
    '/admin/userstores/:domain/users/:name',
    wrap(async (req, res) => {
      const doc = await users.get(userParam(req).canonical);
      if (!doc) throw notFound('No such user', 'user_not_found');
      res.json(viewOfUser(doc));
    }),
  );

  router.patch(
    '/admin/userstores/:domain/users/:name',
    wrap(async (req, res) => {
      const name = userParam(req);
      const patch = userPatch.parse(req.body);
      if (!(await users.get(name.canonical))) throw notFound('No such user', 'user_not_found');
      // Disabling, locking or a new password ends the user's tokens (revocation first).
      if (patch.enabled === false || patch.locked === true || patch.password !== undefined) {
        await outbox.userTokensRevoked(name.canonical, name.domain);
      }
      const doc = await users.update(name.canonical, patch);
      if (!doc) throw notFound('No such user', 'user_not_found');
      res.json(viewOfUser(doc));
    }),
  );

  router.delete(
    '/admin/userstores/:domain/users/:name',
    wrap(async (req, res) => {
      const name = userParam(req);
      if (!(await users.get(name.canonical))) throw notFound('No such user', 'user_not_found');
      await outbox.userTokensRevoked(name.canonical, name.domain);
      await users.remove(name.canonical);
      res.status(204).end();
    }),
  );

  // Database outages are 503 with Retry-After; everything else goes to the common renderer.
  router.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(isDependencyDown(err) ? unavailable('Database temporarily unavailable', 5, err) : err);
  });
  return router;
}
