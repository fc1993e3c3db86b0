/**
 * Authentication: a Bearer (or DPoP) token from the Authorization header, validated through the
 * deny-list and the two cache levels (auth/validator.ts). Until the revocations topic has been
 * replayed the gateway cannot know whether a token is revoked: 503, never a guess.
 * A DPoP-bound token (cnf.jkt) counts only as `DPoP <token>` with a valid proof (auth/dpop.ts);
 * as `Bearer` it is refused (RFC 9449 §7.1), and `DPoP` with an unbound token is refused too.
 */

import { isOpenResource } from '@portico/contracts';
import { z } from 'zod';
import type { DpopVerifier } from '../auth/dpop.ts';
import { InvalidDpopProof } from '../auth/dpop.ts';
import type { Validation } from '../auth/facts.ts';
import { VerificationUnavailable } from '../auth/facts.ts';
import type { TokenValidator } from '../auth/validator.ts';
import type { GatewayContext, GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import {
  cannotVerify,
  credentialsRequired,
  invalidDpopProof,
  invalidToken,
  malformedCredentials,
} from './errors.ts';

/** RFC 6750 §2.1 / RFC 9449 §7.1: `Bearer` or `DPoP`, 1*SP, b64token. */
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface DpopSettings {
  verifier: DpopVerifier;
  /** The base URL consumers call (PUBLIC_URL), or undefined: http://<Host>. */
  publicUrl: string | undefined;
}

const MESSAGES = {
  malformed: 'The access token is malformed',
  unknown: 'The access token is not valid',
  expired: 'The access token has expired',
  revoked: 'The access token has been revoked',
  invalid: 'The access token is not valid',
} as const;

export function authenticatePlugin(
  validator: TokenValidator,
  revocationsLoaded: () => boolean,
  dpop: DpopSettings,
): GatewayPlugin {
  return {
    name: 'authenticate',
    priority: PRIORITY.authenticate,
    configSchema: z.object({}),
    // Synchronous on a level-1 hit (no promise hop), a promise otherwise.
    handle(ctx) {
      const open = ctx.api?.openResources;
      // Auth type None: no token is read or checked (the proxy strips any that is sent).
      if (open && isOpenResource(open, ctx.req.method ?? 'GET', ctx.rest ?? '')) {
        ctx.anonymous = true;
        return;
      }
      const header = ctx.req.headers.authorization;
      // No Authorization header, or another scheme (Basic, ...): no bearer credentials at all.
      if (header === undefined || !/^(Bearer|DPoP)(?: |$)/i.test(header))
        throw credentialsRequired('An access token is required');
      const m = CREDENTIALS.exec(header);
      if (!m?.[2]) throw malformedCredentials(MESSAGES.malformed);
      const scheme = m[1]?.toLowerCase() === 'dpop' ? 'dpop' : 'bearer';
      const token = m[2];
      if (!revocationsLoaded()) throw cannotVerify('The gateway is still loading revocations', 2);
      const result = validator.check(token);
      const settle = (r: Validation) => {
        accept(ctx, r);
        const jkt = ctx.facts?.jkt ?? null;
        if (scheme === 'bearer') {
          if (jkt)
            throw invalidToken(
              'This access token is DPoP-bound: send it as DPoP with a proof',
              'invalid_token',
            );
          return;
        }
        if (!jkt)
          throw invalidToken('This access token is not DPoP-bound: send it as Bearer', 'invalid_token');
        return checkProof(ctx, dpop, token, jkt);
      };
      if (!(result instanceof Promise)) return settle(result);
      return result.then(
        (r) => settle(r),
        (err: unknown) => {
          if (err instanceof VerificationUnavailable)
            throw cannotVerify('The access token cannot be verified right now', 5, err);
          throw err;
        },
      );
    },
  };
}

async function checkProof(
  ctx: GatewayContext,
  dpop: DpopSettings,
  token: string,
  jkt: string,
): Promise<void> {
  const raw = ctx.req.headers['dpop'];
  const proofs = raw === undefined ? [] : Array.isArray(raw) ? raw : raw.split(',').map((p) => p.trim());
  const path = (ctx.req.url ?? '/').split('?')[0] ?? '/';
  const base = dpop.publicUrl ?? `http://${ctx.req.headers.host ?? 'localhost'}`;
  try {
    await dpop.verifier.verify({
      proofs,
      method: ctx.req.method ?? 'GET',
      url: `${base.replace(/\/+$/, '')}${path}`,
      accessToken: token,
      jkt,
    });
  } catch (err) {
    if (err instanceof InvalidDpopProof) throw invalidDpopProof(err.message);
    // The replay store (Redis) cannot be asked: the proof cannot be checked, never a guess.
    throw cannotVerify('The DPoP proof cannot be verified right now', 2, err);
  }
}

function accept(ctx: GatewayContext, result: Validation): void {
  if (!result.valid) throw invalidToken(MESSAGES[result.code], `${result.code}_token`);
  ctx.facts = result.facts;
  ctx.tokenHash = result.tokenHash;
}
