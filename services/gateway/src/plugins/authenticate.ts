/**
 * Authentication: a Bearer token from the Authorization header, validated through the
 * deny-list and the two cache levels (auth/validator.ts). Until the revocations topic has been
 * replayed the gateway cannot know whether a token is revoked: 503, never a guess.
 */
import { z } from 'zod';
import type { Validation } from '../auth/facts.ts';
import { VerificationUnavailable } from '../auth/facts.ts';
import type { TokenValidator } from '../auth/validator.ts';
import type { GatewayContext, GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import { cannotVerify, credentialsRequired, invalidToken, malformedCredentials } from './errors.ts';

/** RFC 6750 §2.1: `Bearer` 1*SP b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

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
): GatewayPlugin {
  return {
    name: 'authenticate',
    priority: PRIORITY.authenticate,
    configSchema: z.object({}),
    // Synchronous on a level-1 hit (no promise hop), a promise otherwise.
    handle(ctx) {
      const header = ctx.req.headers.authorization;
      // No Authorization header, or another scheme (Basic, ...): no bearer credentials at all.
      if (header === undefined || !/^Bearer(?: |$)/i.test(header))
        throw credentialsRequired('An access token is required');
      const m = BEARER.exec(header);
      if (!m?.[1]) throw malformedCredentials(MESSAGES.malformed);
      if (!revocationsLoaded()) throw cannotVerify('The gateway is still loading revocations', 2);
      const result = validator.check(m[1]);
      if (!(result instanceof Promise)) return accept(ctx, result);
      return result.then(
        (r) => accept(ctx, r),
        (err: unknown) => {
          if (err instanceof VerificationUnavailable)
            throw cannotVerify('The access token cannot be verified right now', 5, err);
          throw err;
        },
      );
    },
  };
}

function accept(ctx: GatewayContext, result: Validation): void {
  if (!result.valid) throw invalidToken(MESSAGES[result.code], `${result.code}_token`);
  ctx.facts = result.facts;
  ctx.tokenHash = result.tokenHash;
}
