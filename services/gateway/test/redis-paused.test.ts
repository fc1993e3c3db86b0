/**
 * A Redis that hangs (CLIENT PAUSE on a private instance) instead of refusing: every call is
 * bounded by the command timeout, validation goes on through the key-manager, and the rate
 * limiter reports an error (the plugin then applies RATE_LIMIT_FAIL_MODE).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, it } from 'node:test';
import type { PrivateService } from '@portico/testing';
import { startPrivateRedis, testLogger } from '@portico/testing';
import type { Redis } from 'ioredis';
import { RedisTokenCache } from '../src/auth/cache.ts';
import { CacheIntegrity } from '../src/auth/integrity.ts';
import { InMemoryIntrospector } from '../src/auth/introspection.ts';
import { JwtVerifier } from '../src/auth/jwt.ts';
import { TokenValidator } from '../src/auth/validator.ts';
import { RedisRateLimitStore } from '../src/ratelimit/limiter.ts';
import { createRedis } from '../src/redis.ts';
import { DenyList } from '../src/revocation/denylist.ts';
import { appTokenClaims } from './support/fixtures.ts';

let server: PrivateService;
let redis: Redis;
let admin: Redis;

/** Fails the test instead of letting it hang when `p` does not settle within `ms`. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

before(async () => {
  server = await startPrivateRedis({ persistent: false });
  redis = createRedis(server.url, testLogger(), 200);
  admin = createRedis(server.url, testLogger(), 2000);
  for (const r of [redis, admin]) if (r.status !== 'ready') await once(r, 'ready');
});

after(async () => {
  redis?.disconnect();
  admin?.disconnect();
  await server?.dispose();
});

it('a paused Redis costs at most the command timeout: validation and rate limiting do not hang', async () => {
  const km = new InMemoryIntrospector();
  km.register('t-paused', appTokenClaims('c1', 'PRODUCTION'));
  const validator = new TokenValidator({
    denyList: new DenyList(),
    shared: new RedisTokenCache(redis, 'p:', new CacheIntegrity('')),
    introspector: km,
    jwt: new JwtVerifier({
      jwksUrl: 'http://127.0.0.1:1/jwks',
      issuer: 'x',
      audience: 'y',
      cooldownMs: 1,
      maxAgeMs: 1,
      timeoutMs: 100,
      clockToleranceSeconds: 0,
    }),
    ttlSeconds: 60,
    negativeTtlSeconds: 5,
    maxEntries: 100,
  });
  const limiter = new RedisRateLimitStore(redis);
  // The pause ends by itself (UNPAUSE would be paused too); every call below is bounded by 200 ms.
  await admin.call('CLIENT', 'PAUSE', '2000', 'ALL');
  const result = await bounded(validator.validate('t-paused'), 1000);
  assert.equal(result.valid, true);
  assert.equal(result.source, 'introspection');
  await assert.rejects(
    bounded(limiter.take([{ key: 'p:rl', intervalMs: 1000, capacity: 1 }]), 1000),
    /Command timed out/,
  );
});
