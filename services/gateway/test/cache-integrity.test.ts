/**
 * Defect: the shared validation cache in Redis was trusted blindly, so one unauthenticated write
 * to Redis made a token every replica accepted. Entries are now sealed with CACHE_INTEGRITY_KEY;
 * real Redis (shared instance, unique prefix), in-memory twin of the introspection port.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, it } from 'node:test';
import { sharedInfra, testLogger, uniqueName } from '@portico/testing';
import type { Redis } from 'ioredis';
import { RedisTokenCache } from '../src/auth/cache.ts';
import type { TokenFacts } from '../src/auth/facts.ts';
import { tokenHash } from '../src/auth/facts.ts';
import { CacheIntegrity } from '../src/auth/integrity.ts';
import { InMemoryIntrospector } from '../src/auth/introspection.ts';
import { JwtVerifier } from '../src/auth/jwt.ts';
import { TokenValidator } from '../src/auth/validator.ts';
import { createRedis } from '../src/redis.ts';
import { DenyList } from '../src/revocation/denylist.ts';

let redis: Redis;
const prefix = `${uniqueName('integrity')}:`;
const SHARED_KEY = 'integrity-test-shared-key-0123456789abcdef';

before(async () => {
  redis = createRedis(sharedInfra().redisUrl, testLogger(), 2000);
  if (redis.status !== 'ready') await once(redis, 'ready');
});

after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function adminFacts(): TokenFacts {
  const now = Date.now();
  return {
    clientId: 'any-client',
    subject: 'PRIMARY/admin',
    scopes: ['default'],
    keyType: 'PRODUCTION',
    tokenType: 'user',
    userStoreDomain: 'PRIMARY',
    grantId: null,
    jti: null,
    exp: Math.floor(now / 1000) + 3600,
    issuedAtMs: now,
    format: 'opaque',
    jkt: null,
  };
}

/** A replica's validator; the key-manager twin knows no token at all. */
function replica(integrityKey: string) {
  let tampered = 0;
  const cache = new RedisTokenCache(redis, prefix, new CacheIntegrity(integrityKey), () => {
    tampered += 1;
  });
  const validator = new TokenValidator({
    denyList: new DenyList(),
    shared: cache,
    introspector: new InMemoryIntrospector(),
    jwt: new JwtVerifier({
      jwksUrl: 'http://127.0.0.1:1/jwks',
      issuer: 'http://km',
      audience: 'portico-gateway',
      cooldownMs: 30_000,
      maxAgeMs: 600_000,
      timeoutMs: 500,
      clockToleranceSeconds: 0,
    }),
    ttlSeconds: 300,
    negativeTtlSeconds: 10,
    maxEntries: 100,
  });
  return { cache, validator, tampered: () => tampered };
}

const entry = () => ({ result: { valid: true as const, facts: adminFacts() }, until: Date.now() + 60_000 });

it('a validation entry written straight into Redis by someone without the key is not accepted (a miss, counted)', async () => {
  const gw = replica(SHARED_KEY);
  const token = `forged-${uniqueName('t')}`;
  const key = gw.cache.keyOf(tokenHash(token));
  // What an attacker with network access to an unauthenticated Redis can do: plain JSON, or a
  // sealed-looking value with a MAC made under a key they guessed.
  for (const forged of [
    JSON.stringify(entry()),
    new CacheIntegrity('attacker-guess-0123456789abcdef0123456789').seal(key, JSON.stringify(entry())),
  ]) {
    await redis.set(key, forged, 'PX', 60_000);
    const before = gw.tampered();
    const result = await gw.validator.validate(token);
    assert.equal(result.valid, false, `forged entry accepted (source ${result.source})`);
    assert.equal(result.valid ? '' : result.code, 'unknown'); // fell through to the key-manager
    assert.equal(gw.tampered(), before + 1);
    // The next lookup must not be served by a negative level-1 entry hiding a second read.
    gw.validator.evictMatching(() => true);
    await gw.validator.evict(tokenHash(token));
  }
});

it('a genuine entry moved to another token hash is refused; sealed with the shared key it is accepted', async () => {
  const writer = replica(SHARED_KEY);
  const reader = replica(SHARED_KEY);
  const genuine = `genuine-${uniqueName('t')}`;
  const other = `other-${uniqueName('t')}`;
  await writer.cache.set(tokenHash(genuine), entry());
  // Positive control: the other replica shares the key and accepts the entry from Redis.
  const ok = await reader.validator.validate(genuine);
  assert.equal(ok.source, 'l2');
  assert.equal(ok.valid, true);
  // Copying the sealed value under another token's key does not carry its validity.
  const sealed = await redis.get(writer.cache.keyOf(tokenHash(genuine)));
  assert.ok(sealed);
  await redis.set(writer.cache.keyOf(tokenHash(other)), sealed, 'PX', 60_000);
  const moved = await reader.validator.validate(other);
  assert.equal(moved.valid, false);
  assert.equal(reader.tampered(), 1);
});
