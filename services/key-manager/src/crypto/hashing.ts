/**
 * Hashes of secrets. Stored ids are a KEYED hash (HMAC-SHA256 with TOKEN_HASH_KEY) so that a
 * database dump cannot be used to test guessed tokens; the token hash shared with the gateway is
 * plain SHA-256 (docs/internal-apis.md), which reveals nothing either since tokens carry ≥ 256
 * bits of randomness.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface Hasher {
  /** Keyed hash used as the stored id of a token (hex). */
  storedId(value: string): string;
}

export function createHasher(key: string): Hasher {
  return {
    storedId: (value) => createHmac('sha256', key).update(value, 'utf8').digest('hex'),
  };
}

/** The token hash of the contracts: lowercase hex SHA-256 of the raw token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Client secrets are random 256-bit values, so a keyed SHA-256 is enough (no slow hash needed,
 * which would also make the token endpoint a CPU sink). Format: `hmac-sha256$<hex>`.
 */
export function hashClientSecret(key: string, secret: string): string {
  return `hmac-sha256$${createHmac('sha256', `client-secret:${key}`).update(secret, 'utf8').digest('hex')}`;
}

export function verifyClientSecret(key: string, secret: string, stored: string): boolean {
  const expected = Buffer.from(hashClientSecret(key, secret));
  const actual = Buffer.from(stored);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Constant-time comparison of two strings of possibly different lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
