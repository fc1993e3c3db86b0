/**
 * What the gateway knows about a valid token: the validation facts cached in both levels.
 * Built from JWT claims or from an RFC 7662 introspection answer; both use the claim names of
 * docs/internal-apis.md. Per-request checks (route, subscription, scope, domain, limits) are
 * never cached: they run against the current read model.
 */
import { hash } from 'node:crypto';
import type { KeyType } from '@portico/events';

export interface TokenFacts {
  clientId: string;
  subject: string;
  scopes: string[];
  keyType: KeyType | null;
  tokenType: 'application' | 'user' | null;
  userStoreDomain: string | null;
  grantId: string | null;
  jti: string | null;
  /** Expiry in epoch seconds; null = never expires. */
  exp: number | null;
  /** Issue time in epoch milliseconds (iat_ms, else iat * 1000: conservative for bulk revocation). */
  issuedAtMs: number;
  format: 'jwt' | 'opaque';
  /** RFC 9449 `cnf.jkt`: the token is DPoP-bound to the key with this thumbprint. */
  jkt: string | null;
}

export type InvalidCode = 'malformed' | 'unknown' | 'expired' | 'revoked' | 'invalid';

export type ValidationSource = 'l1' | 'l2' | 'jwt' | 'introspection' | 'deny-list';

export type Validation =
  /** `tokenHash` is the hash computed for the lookup (callers need not hash the token again). */
  | { valid: true; facts: TokenFacts; source: ValidationSource; tokenHash: string }
  | { valid: false; code: InvalidCode; source: ValidationSource };

/** The key-manager could not be asked (down, timeout, bad answer): never a 200, never a 401. */
export class VerificationUnavailable extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'VerificationUnavailable';
  }
}

/** Lowercase hex SHA-256 of the raw token: the cache key and `token.revoked.tokenHash`. */
export function tokenHash(token: string): string {
  // One-shot crypto.hash: no Hash object per request (this runs on every request).
  return hash('sha256', token, 'hex');
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Facts from claims, or undefined when a claim the gateway relies on is missing. */
export function factsFromClaims(
  claims: Record<string, unknown>,
  format: TokenFacts['format'],
): TokenFacts | undefined {
  const clientId = str(claims['client_id']);
  if (!clientId) return undefined;
  const keyType = claims['key_type'];
  const tokenType = claims['token_type'];
  const iatMs = num(claims['iat_ms']);
  const iat = num(claims['iat']);
  const scope = str(claims['scope']);
  return {
    clientId,
    subject: str(claims['sub']) ?? clientId,
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
    keyType: keyType === 'PRODUCTION' || keyType === 'SANDBOX' ? keyType : null,
    tokenType: tokenType === 'application' || tokenType === 'user' ? tokenType : null,
    userStoreDomain: str(claims['user_store_domain']),
    grantId: str(claims['grant_id']),
    jti: str(claims['jti']),
    exp: num(claims['exp']),
    issuedAtMs: iatMs ?? (iat !== null ? iat * 1000 : 0),
    format,
    jkt: str((claims['cnf'] as Record<string, unknown> | undefined)?.['jkt']),
  };
}

/** A JWS compact serialization whose header parses as JSON with an `alg`. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}
