/**
 * Token validity (docs/adr/0010-never-expiring-tokens.md).
 * Configured values are seconds; a negative value means "never expires". oidc-provider only
 * accepts positive lifetimes, so "never" is issued with a technical lifetime of 100 years and
 * recognised afterwards by its length (≥ 50 years): JWTs then carry no `exp`, introspection
 * answers without `exp`, the token response has no `expires_in`, and revocation events carry
 * `expiresAt: null`.
 */
export const NEVER_TTL_SECONDS = 100 * 365 * 86_400;
const NEVER_THRESHOLD_SECONDS = 50 * 365 * 86_400;

export function isNeverLifetime(lifetimeSeconds: number): boolean {
  return lifetimeSeconds >= NEVER_THRESHOLD_SECONDS;
}

export function isNeverExpiry(exp: number | undefined, iat: number | undefined): boolean {
  return typeof exp === 'number' && typeof iat === 'number' && isNeverLifetime(exp - iat);
}

/** Seconds for oidc-provider from a configured value (negative = never). */
export function toTtl(configured: number): number {
  return configured < 0 ? NEVER_TTL_SECONDS : configured;
}

export interface ValidityPolicy {
  application: number;
  user: number;
  refresh: number;
  perDomain: Map<string, number>;
}

export function parseDomainValidity(entries: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const entry of entries) {
    const i = entry.lastIndexOf(':');
    const domain = entry.slice(0, i).trim().toUpperCase();
    const value = Number(entry.slice(i + 1));
    if (i <= 0 || !Number.isInteger(value) || value === 0) {
      throw new Error(
        `USER_STORE_TOKEN_VALIDITY: bad entry ${JSON.stringify(entry)} (expected DOMAIN:seconds)`,
      );
    }
    map.set(domain, value);
  }
  return map;
}

/** Validity of an access token: the client's override, else the domain's, else the kind's default. */
export function accessTokenValidity(
  policy: ValidityPolicy,
  kind: 'application' | 'user',
  clientOverride: number | null | undefined,
  domain: string | undefined,
): number {
  if (typeof clientOverride === 'number' && clientOverride !== 0) return clientOverride;
  if (kind === 'user' && domain) {
    const d = policy.perDomain.get(domain);
    if (d !== undefined) return d;
  }
  return kind === 'user' ? policy.user : policy.application;
}
