/**
 * Authentication: a Bearer token from the Authorization header, validated through the
 * deny-list and the two cache levels (auth/validator.ts). Until the revocations topic has been
 * replayed the gateway cannot know whether a token is revoked: 503, never a guess.
 */
import { z } from 'zod';
import { tokenHash, VerificationUnavailable } from '../auth/facts.ts';
import type { TokenValidator } from '../auth/validator.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import { cannotVerify, invalidToken } from './errors.ts';

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
    async handle(ctx) {
      const header = ctx.req.headers.authorization;
      if (header === undefined || header === '')
        throw invalidToken('An access token is required', 'missing_token');
      const m = /^Bearer +([^ ]+) *$/i.exec(header);
      if (!m?.[1]) throw invalidToken(MESSAGES.malformed, 'malformed_token');
      if (!revocationsLoaded()) throw cannotVerify('The gateway is still loading revocations', 2);
      let result: Awaited<ReturnType<TokenValidator['validate']>>;
      try {
        result = await validator.validate(m[1]);
      } catch (err) {
        if (err instanceof VerificationUnavailable)
          throw cannotVerify('The access token cannot be verified right now', 5, err);
        throw err;
      }
      if (!result.valid) throw invalidToken(MESSAGES[result.code], `${result.code}_token`);
      ctx.facts = result.facts;
      ctx.tokenHash = tokenHash(m[1]);
    },
  };
}
