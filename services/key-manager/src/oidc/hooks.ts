/**
 * Koa middleware around every oidc-provider route, in order:
 *   1. the request context is made available to the adapter (requestScope);
 *   2. a database outage becomes 503 + Retry-After with an RFC 6749 body, never 500;
 *   3. "never expires" tokens (validity.ts), known by the flag their record carries: no
 *      `expires_in` in token responses, no `exp` (nor the flag) in introspection;
 *   4. introspection answers Portico's `token_type` (application|user) and `sub` = client id for
 *      application tokens (docs/internal-apis.md);
 *   5. JWT access tokens, which oidc-provider does not store, are introspected and revoked here:
 *      the signature is checked with our own keys, revocation writes the outbox record;
 *   6. metrics: tokens issued by grant and format, introspection latency;
 *   7. a request with no client authentication at all is 401 invalid_client with a Basic
 *      challenge (RFC 6749 §5.2; oidc-provider answers 400 invalid_request);
 *   8. paths oidc-provider does not serve answer 404 in the common error shape, not Koa's text.
 */
import type { Logger, Metrics } from '@portico/core';
import { errorBody, isMongoUnavailable, notFound, promClient } from '@portico/core';
import type { JWTPayload } from 'jose';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import type { JWK, KoaContextWithOIDC } from 'oidc-provider';
import { tokenHash } from '../crypto/hashing.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { issuedNeverExpiring, requestScope } from './provider.ts';
import { isNeverToken, NEVER_CLAIM } from './validity.ts';

export interface HookOptions {
  provider: Provider;
  outbox: Outbox;
  jwks: { keys: JWK[] };
  gatewayClientId: string;
  logger: Logger;
  metrics: Metrics;
}

const PROVIDER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export function isDependencyDown(err: unknown): boolean {
  if (isMongoUnavailable(err)) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return (
    typeof name === 'string' && /^Mongo(Network|PoolCleared|ServerSelection|NotConnected|Topology)/.test(name)
  );
}

function publicJwks(jwks: { keys: JWK[] }) {
  return {
    keys: jwks.keys.map((k) => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = k;
      return pub;
    }),
  };
}

export function installHooks(options: HookOptions): void {
  const { provider, outbox, metrics } = options;
  const registry = metrics.registry;
  const issued = new promClient.Counter({
    name: 'keymanager_tokens_issued_total',
    help: 'Access tokens issued, by grant type and format',
    labelNames: ['grant', 'format'] as const,
    registers: [registry],
  });
  const introspection = new promClient.Histogram({
    name: 'keymanager_introspection_duration_seconds',
    help: 'Introspection latency',
    labelNames: ['active'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });

  const count = (token: { gty?: string; format?: string; kind: string }) => {
    const grant =
      token.kind === 'ClientCredentials' ? 'client_credentials' : (token.gty ?? 'unknown').split(' ').pop();
    issued.inc({ grant: grant ?? 'unknown', format: token.format ?? 'opaque' });
  };
  for (const event of [
    'access_token.saved',
    'access_token.issued',
    'client_credentials.saved',
    'client_credentials.issued',
  ]) {
    (provider as unknown as { on(e: string, f: (t: never) => void): void }).on(event, count as never);
  }

  const downErrors = new WeakSet<object>();
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    if (isDependencyDown(err)) downErrors.add(ctx);
    else options.logger.error({ err, route: ctx.oidc?.route }, 'oidc-provider server error');
  });

  const verifyJwt = jwtVerifier(provider.issuer, options.jwks);

  async function handleJwtRevocation(ctx: KoaContextWithOIDC): Promise<void> {
    const token = ctx.oidc.params?.['token'];
    // RFC 7009: an invalid token is not an error.
    ctx.status = 200;
    ctx.body = '';
    if (!isJwt(token)) return;
    const payload = await verifyJwt(token);
    if (!payload) return;
    // Another client's token: 200 and no effect, exactly as for an invalid one (RFC 7009 §2.2), so
    // the answer never tells whether a JWT is genuine.
    if (payload['client_id'] !== ctx.oidc.client?.clientId) return;
    await outbox.tokenRevoked(jwtRevocation(token, payload));
  }

  async function handleJwtIntrospection(ctx: KoaContextWithOIDC): Promise<void> {
    const token = ctx.oidc.params?.['token'];
    ctx.status = 200;
    ctx.body = { active: false };
    if (!isJwt(token)) return;
    const payload = await verifyJwt(token);
    if (!payload) return;
    const caller = ctx.oidc.client?.clientId;
    if (caller !== options.gatewayClientId && caller !== payload['client_id']) return;
    const revoked = await outbox.isRevoked({
      clientId: str(payload['client_id']),
      subject: payload['token_type'] === 'user' ? str(payload.sub) : undefined,
      domain: str(payload['user_store_domain']),
      grantId: str(payload['grant_id']),
      tokenHash: tokenHash(token),
      iatMs: typeof payload['iat_ms'] === 'number' ? payload['iat_ms'] : (payload.iat ?? 0) * 1000,
    });
    if (revoked) return;
    ctx.body = { ...payload, active: true };
  }

  provider.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    // Pages oidc-provider renders (errors, logout, form_post) get the same CSP as ours; form_post
    // adds the hash of its one inline script to script-src, nothing else may run.
    ctx.set('content-security-policy', PROVIDER_CSP);
    ctx.set('x-frame-options', 'DENY');
    await requestScope.run(ctx as KoaContextWithOIDC, next);
    const octx = ctx as KoaContextWithOIDC;
    const route = octx.oidc?.route;
    if (!route && ctx.status === 404 && ctx.body == null) {
      ctx.body = errorBody(notFound('No such resource'), (ctx.req as { id?: string }).id);
      ctx.status = 404;
      return;
    }

    try {
      if (downErrors.has(ctx)) throw new Error('dependency down');
      const body = ctx.body as Record<string, unknown> | undefined;
      if (route === 'revocation' && body?.['error'] === 'unsupported_token_type')
        await handleJwtRevocation(octx);
      if (route === 'introspection' && body?.['error'] === 'unsupported_token_type')
        await handleJwtIntrospection(octx);
    } catch (err) {
      if (!downErrors.has(ctx) && !isDependencyDown(err)) throw err;
      answerTemporarilyUnavailable(ctx, 5, 'the service is temporarily unavailable');
      return;
    }

    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return;
    if (
      CLIENT_AUTH_ROUTES.has(route ?? '') &&
      body['error'] === 'invalid_request' &&
      body['error_description'] === 'no client authentication mechanism provided'
    ) {
      ctx.status = 401;
      ctx.set('www-authenticate', `Basic realm="${provider.issuer}"`);
      body['error'] = 'invalid_client';
      body['error_description'] = 'client authentication is required';
    }
    // RFC 6749 §5.2 names this case unauthorized_client; oidc-provider says invalid_request.
    if (
      route === 'token' &&
      body['error_description'] === 'requested grant type is not allowed for this client'
    ) {
      body['error'] = 'unauthorized_client';
    }
    if (route === 'token' && issuedNeverExpiring(ctx)) delete body['expires_in'];
    if (route === 'introspection') {
      if (body['active'] === true) {
        const entity = octx.oidc.entities.AccessToken ?? octx.oidc.entities.ClientCredentials;
        const extra = (entity as { extra?: Record<string, unknown> } | undefined)?.extra;
        if (isNeverToken(extra)) delete body['exp'];
        delete body[NEVER_CLAIM];
        if (extra?.['token_type']) body['token_type'] = extra['token_type'];
        if (body['sub'] === undefined && typeof body['client_id'] === 'string')
          body['sub'] = body['client_id'];
      }
      introspection.observe(
        { active: String(body['active'] === true) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  });
}

/** The oidc-provider routes that authenticate the calling client. */
const CLIENT_AUTH_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request']);

export const isJwt = (v: unknown): v is string =>
  typeof v === 'string' && v.length < 16_384 && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v);

/** Verifies one of our JWT access tokens (signature, issuer, typ); undefined when invalid. */
export function jwtVerifier(
  issuer: string,
  jwks: { keys: JWK[] },
): (token: string) => Promise<JWTPayload | undefined> {
  const keySet = createLocalJWKSet(publicJwks(jwks) as Parameters<typeof createLocalJWKSet>[0]);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keySet, { issuer, typ: 'at+jwt', algorithms: ['RS256'] });
      return payload;
    } catch {
      return undefined;
    }
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function jwtRevocation(token: string, payload: JWTPayload) {
  return {
    tokenHash: tokenHash(token),
    ...(typeof payload.jti === 'string' ? { jti: payload.jti } : {}),
    ...(typeof payload['grant_id'] === 'string' ? { grantId: payload['grant_id'] } : {}),
    clientId: str(payload['client_id']) ?? 'unknown',
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : null,
  };
}

/** An OAuth endpoint's 503 (or 429) answer: RFC 6749 `temporarily_unavailable`, Retry-After, never cached. */
export function answerTemporarilyUnavailable(
  ctx: { status: number; body: unknown; set(name: string, value: string): void },
  retryAfterSeconds: number,
  description: string,
  status = 503,
): void {
  ctx.status = status;
  ctx.set('retry-after', String(retryAfterSeconds));
  ctx.set('cache-control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: description };
}
