/**
 * Token validity in the key-manager (docs/adr/0010-never-expiring-tokens.md). Every value is a
 * TokenValidity (@portico/contracts): seconds, or NEVER_EXPIRES. "Never" stays itself up to the
 * oidc-provider boundary, which only accepts positive lifetimes: there it is issued with the
 * technical lifetime NEVER_LIFETIME_SECONDS and the token record carries the NEVER_CLAIM flag
 * (in its `extra`, set by extraTokenClaims). What callers see follows the flag, never the
 * lifetime's length: JWTs then carry no `exp`, introspection answers without `exp`, the token
 * response has no `expires_in`, and revocation events carry `expiresAt: null`.
 */
import type { TokenValidity } from '@portico/contracts';
import { isNeverExpires, parseTokenValidity } from '@portico/contracts';
import { z } from 'zod';

/** The one validation of a `validitySeconds` on input (admin API, configuration). */
export const validitySeconds = z.number().transform((v, ctx): TokenValidity => {
  const parsed = parseTokenValidity(v);
  if (parsed.ok) return parsed.validity;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

/** The lifetime oidc-provider and the storage get for "never" (100 years); nothing reads it back. */
export const NEVER_LIFETIME_SECONDS = 100 * 365 * 86_400;

/** The flag in a never-expiring token's `extra`; removed from everything callers see. */
export const NEVER_CLAIM = 'portico_never_expires';

/** Seconds for oidc-provider. */
export function lifetimeOf(validity: TokenValidity): number {
  return isNeverExpires(validity) ? NEVER_LIFETIME_SECONDS : validity;
}

/** Whether a token's `extra` (its stored record, or a JWT payload) says it never expires. */
export function isNeverToken(extra: Record<string, unknown> | undefined | null): boolean {
  return extra?.[NEVER_CLAIM] === true;
}

export interface ValidityPolicy {
  application: TokenValidity;
  user: TokenValidity;
  refresh: number;
  perDomain: Map<string, TokenValidity>;
}

export function parseDomainValidity(entries: string[]): Map<string, TokenValidity> {
  const map = new Map<string, TokenValidity>();
  for (const entry of entries) {
    const i = entry.lastIndexOf(':');
    const domain = entry.slice(0, i).trim().toUpperCase();
    const value = parseTokenValidity(Number(entry.slice(i + 1)));
    if (i <= 0 || !value.ok) {
      throw new Error(
        `USER_STORE_TOKEN_VALIDITY: bad entry ${JSON.stringify(entry)} (expected DOMAIN:seconds)`,
      );
    }
    map.set(domain, value.validity);
  }
  return map;
}

/** Validity of an access token: the client's, else the domain's, else the kind's default. */
export function accessTokenValidity(
  policy: ValidityPolicy,
  kind: 'application' | 'user',
  clientValidity: TokenValidity | null | undefined,
  domain: string | undefined,
): TokenValidity {
  if (typeof clientValidity === 'number') return clientValidity;
  if (kind === 'user' && domain) {
    const d = policy.perDomain.get(domain);
    if (d !== undefined) return d;
  }
  return kind === 'user' ? policy.user : policy.application;
}
