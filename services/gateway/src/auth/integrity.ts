/**
 * Integrity of the validation entries the replicas share in Redis (docs/adr/0038). Anyone who
 * can write to Redis could otherwise mint a token every replica accepts; with a MAC, a write
 * without the key is at worst a cache miss.
 *
 * Entry = `v1.<base64url HMAC-SHA256>.<payload>`, the MAC taken over the Redis key (so an entry
 * cannot be moved to another token's hash) and the payload (facts and end time).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
const MAC_LENGTH = 43; // base64url of 32 bytes

export class CacheIntegrity {
  private readonly key: Buffer;
  /** True when no shared key was configured: entries from other replicas never verify. */
  readonly ephemeral: boolean;

  constructor(secret: string) {
    this.ephemeral = secret === '';
    const ikm = this.ephemeral ? randomBytes(32) : Buffer.from(secret, 'utf8');
    // A dedicated key, so the configured secret is never used directly for anything else.
    this.key = Buffer.from(
      hkdfSync('sha256', ikm, Buffer.alloc(0), 'portico gateway cache integrity v1', 32),
    );
  }

  seal(redisKey: string, payload: string): string {
    return `${VERSION}.${this.mac(redisKey, payload)}.${payload}`;
  }

  /** The payload when the MAC verifies, else undefined. */
  open(redisKey: string, value: string): string | undefined {
    const head = VERSION.length + 1;
    if (!value.startsWith(`${VERSION}.`) || value.charAt(head + MAC_LENGTH) !== '.') return undefined;
    const given = Buffer.from(value.slice(head, head + MAC_LENGTH), 'utf8');
    const payload = value.slice(head + MAC_LENGTH + 1);
    const expected = Buffer.from(this.mac(redisKey, payload), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected) ? payload : undefined;
  }

  private mac(redisKey: string, payload: string): string {
    return createHmac('sha256', this.key).update(redisKey).update('\n').update(payload).digest('base64url');
  }
}
