/**
 * Token validation with the two cache levels and the deny-list: the in-memory twin of the
 * introspection port, real Redis for level 2 (unique key prefix per run).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { makeEvent } from '@portico/events';
import { sharedInfra, testLogger, uniqueName } from '@portico/testing';
import type { Redis } from 'ioredis';
import type { CacheEntry, SharedTokenCache } from '../src/auth/cache.ts';
import { RedisTokenCache } from '../src/auth/cache.ts';
import { tokenHash } from '../src/auth/facts.ts';
import { CacheIntegrity } from '../src/auth/integrity.ts';
import { InMemoryIntrospector } from '../src/auth/introspection.ts';
import { JwtVerifier } from '../src/auth/jwt.ts';
import { TokenValidator } from '../src/auth/validator.ts';
import { createRedis } from '../src/redis.ts';
import { DenyList } from '../src/revocation/denylist.ts';
import { appTokenClaims } from './support/fixtures.ts';

let redis: Redis;
let prefix: string;
/** One key for every validator here: they play replicas sharing CACHE_INTEGRITY_KEY. */
const integrity = new CacheIntegrity('validator-test-integrity-key-0123456789');
const cacheKey = (hash: string) => new RedisTokenCache(redis, prefix, integrity).keyOf(hash);

const jwt = new JwtVerifier({
  jwksUrl: 'http://127.0.0.1:1/jwks',
  issuer: 'http://km',
  audience: 'portico-gateway',
  cooldownMs: 30_000,
  maxAgeMs: 600_000,
  timeoutMs: 500,
  clockToleranceSeconds: 0,
});

function validatorWith(options: {
  km: InMemoryIntrospector;
  shared?: SharedTokenCache;
  denyList?: DenyList;
  ttl?: number;
}) {
  const denyList = options.denyList ?? new DenyList();
  const validator = new TokenValidator({
    denyList,
    shared: options.shared ?? new RedisTokenCache(redis, prefix, integrity),
    introspector: options.km,
    jwt,
    ttlSeconds: options.ttl ?? 300,
    negativeTtlSeconds: 10,
    maxEntries: 1000,
  });
  return { validator, denyList };
}

/** A level 2 that never answers: proves a level-1 hit does not wait for Redis. */
const hangingCache: SharedTokenCache = {
  get: () => new Promise<CacheEntry | undefined>(() => {}),
  set: () => new Promise<void>(() => {}),
  delete: () => new Promise<void>(() => {}),
};

before(async () => {
  redis = createRedis(sharedInfra().redisUrl, testLogger(), 1000);
  prefix = `${uniqueName('gwtest')}:`;
  if (redis.status !== 'ready') await once(redis, 'ready');
});

after(async () => {
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

describe('two-level validation cache', () => {
  it('a level-1 hit answers without awaiting Redis or the key-manager', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-l1', appTokenClaims('c1', 'PRODUCTION'));
    const shared = new RedisTokenCache(redis, prefix, integrity);
    const warm = validatorWith({ km, shared });
    assert.equal((await warm.validator.validate('t-l1')).source, 'introspection');
    // Same validator, but level 2 now hangs forever and the key-manager is down.
    const { validator } = validatorWith({ km, shared: hangingCache });
    (validator as unknown as { local: unknown }).local = (
      warm.validator as unknown as { local: unknown }
    ).local;
    km.down = true;
    const result = await validator.validate('t-l1');
    assert.equal(result.valid, true);
    assert.equal(result.source, 'l1');
  });

  it('a second replica finds the entry in Redis (level 2) without calling the key-manager', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-l2', appTokenClaims('c1', 'PRODUCTION'));
    const a = validatorWith({ km });
    const b = validatorWith({ km });
    assert.equal((await a.validator.validate('t-l2')).source, 'introspection');
    // Level 2 is written in the background: wait until it is there.
    const key = cacheKey(tokenHash('t-l2'));
    for (let i = 0; i < 100 && (await redis.exists(key)) === 0; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    const calls = km.calls;
    const second = await b.validator.validate('t-l2');
    assert.equal(second.source, 'l2');
    assert.equal(second.valid && second.facts.clientId, 'c1');
    assert.equal(km.calls, calls);
    assert.equal((await b.validator.validate('t-l2')).source, 'l1');
  });

  it('entry TTL is min(configured TTL, exp - now) and keys are token hashes, never tokens', async () => {
    const km = new InMemoryIntrospector();
    const soon = Math.floor(Date.now() / 1000) + 3;
    km.register('t-short', appTokenClaims('c1', 'PRODUCTION', { exp: soon }));
    km.register('t-long', appTokenClaims('c1', 'PRODUCTION'));
    const { validator } = validatorWith({ km, ttl: 60 });
    await validator.validate('t-short');
    await validator.validate('t-long');
    const shortKey = cacheKey(tokenHash('t-short'));
    const longKey = cacheKey(tokenHash('t-long'));
    let shortTtl = -2;
    let longTtl = -2;
    for (let i = 0; i < 100 && (shortTtl < 0 || longTtl < 0); i += 1) {
      [shortTtl, longTtl] = [await redis.pttl(shortKey), await redis.pttl(longKey)];
      if (shortTtl < 0 || longTtl < 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(shortTtl > 0 && shortTtl <= 3000, `short ttl ${shortTtl}`);
    assert.ok(longTtl > 3000 && longTtl <= 60_000, `long ttl ${longTtl}`);
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.every((k) => !k.includes('t-short') && !k.includes('t-long')));
  });

  it('caches negative results briefly: an unknown token is not introspected twice', async () => {
    const km = new InMemoryIntrospector();
    const { validator } = validatorWith({ km });
    const first = await validator.validate('t-unknown');
    assert.deepEqual([first.valid, first.valid ? '' : first.code], [false, 'unknown']);
    const calls = km.calls;
    const second = await validator.validate('t-unknown');
    assert.equal(second.valid, false);
    assert.equal(km.calls, calls);
    const ttl = await redis.pttl(cacheKey(tokenHash('t-unknown')));
    assert.ok(ttl <= 10_000, `negative ttl ${ttl}`);
  });

  it('validates one token once when many requests arrive together', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-burst', appTokenClaims('c1', 'PRODUCTION'));
    const { validator } = validatorWith({ km });
    const results = await Promise.all(Array.from({ length: 20 }, () => validator.validate('t-burst')));
    assert.ok(results.every((r) => r.valid));
    assert.equal(km.calls, 1);
  });

  it('does not cache "cannot verify": the key-manager down throws, then recovers', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-down', appTokenClaims('c1', 'PRODUCTION'));
    const { validator } = validatorWith({ km });
    km.down = true;
    await assert.rejects(validator.validate('t-down'), { name: 'VerificationUnavailable' });
    km.down = false;
    assert.equal((await validator.validate('t-down')).valid, true);
  });

  it('keeps validating through the key-manager when Redis is unreachable, without hanging', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1', testLogger(), 100);
    try {
      const km = new InMemoryIntrospector();
      km.register('t-noredis', appTokenClaims('c1', 'PRODUCTION'));
      const { validator } = validatorWith({ km, shared: new RedisTokenCache(deadRedis, prefix, integrity) });
      const first = await validator.validate('t-noredis');
      assert.equal(first.valid, true);
      assert.equal(first.source, 'introspection');
      assert.equal((await validator.validate('t-noredis')).source, 'l1');
    } finally {
      deadRedis.disconnect();
    }
  });
});

describe('deny-list', () => {
  it('is consulted before any cache: a revoked hash is refused without a cache lookup', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-den', appTokenClaims('c1', 'PRODUCTION'));
    let lookups = 0;
    const counting: SharedTokenCache = {
      get: async () => {
        lookups += 1;
        return undefined;
      },
      set: async () => {},
      delete: async () => {},
    };
    const { validator, denyList } = validatorWith({ km, shared: counting });
    denyList.apply(
      makeEvent('token.revoked', { tokenHash: tokenHash('t-den'), clientId: 'c1', expiresAt: null }, 'test'),
    );
    const result = await validator.validate('t-den');
    assert.deepEqual([result.valid, result.source], [false, 'deny-list']);
    assert.equal(lookups, 0);
    assert.equal(km.calls, 0);
  });

  it('a token revocation evicts both levels and wins over a warm cache', async () => {
    const km = new InMemoryIntrospector();
    km.register('t-rev', appTokenClaims('c1', 'PRODUCTION'));
    const { validator, denyList } = validatorWith({ km });
    assert.equal((await validator.validate('t-rev')).valid, true);
    const hash = tokenHash('t-rev');
    const key = cacheKey(hash);
    for (let i = 0; i < 100 && (await redis.exists(key)) === 0; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    denyList.apply(makeEvent('token.revoked', { tokenHash: hash, clientId: 'c1', expiresAt: null }, 'test'));
    await validator.evict(hash);
    assert.equal(await redis.exists(key), 0);
    const result = await validator.validate('t-rev');
    assert.equal(result.valid ? 'valid' : result.code, 'revoked');
  });

  it('bulk revocations deny cached tokens issued before the cut-off and spare later ones (iat_ms)', async () => {
    const km = new InMemoryIntrospector();
    const t0 = Date.now();
    km.register('t-old', appTokenClaims('c-bulk', 'PRODUCTION', { iat_ms: t0 - 10 }));
    km.register('t-new', appTokenClaims('c-bulk', 'PRODUCTION', { iat_ms: t0 + 1 }));
    km.register(
      't-user',
      appTokenClaims('c-u', 'PRODUCTION', {
        token_type: 'user',
        sub: 'PARTNERS.EXAMPLE.COM/bob',
        user_store_domain: 'PARTNERS.EXAMPLE.COM',
        iat_ms: t0 - 10,
      }),
    );
    km.register(
      't-dom',
      appTokenClaims('c-u', 'PRODUCTION', {
        token_type: 'user',
        sub: 'PRIMARY/carol',
        user_store_domain: 'PRIMARY',
        iat_ms: t0 - 10,
      }),
    );
    km.register('t-grant', appTokenClaims('c-g', 'PRODUCTION', { grant_id: 'g-1' }));
    const { validator, denyList } = validatorWith({ km });
    for (const t of ['t-old', 't-new', 't-user', 't-dom', 't-grant'])
      assert.equal((await validator.validate(t)).valid, true, t);
    const cut = new Date(t0).toISOString();
    denyList.apply(makeEvent('client.tokens_revoked', { clientId: 'c-bulk', revokedBefore: cut }, 'test'));
    denyList.apply(
      makeEvent(
        'user.tokens_revoked',
        { subject: 'bob', domain: 'PARTNERS.EXAMPLE.COM', revokedBefore: cut },
        'test',
      ),
    );
    denyList.apply(makeEvent('domain.tokens_revoked', { domain: 'primary', revokedBefore: cut }, 'test'));
    denyList.apply(makeEvent('grant.revoked', { grantId: 'g-1', clientId: 'c-g', expiresAt: null }, 'test'));
    const code = async (t: string) => {
      const r = await validator.validate(t);
      return r.valid ? 'valid' : r.code;
    };
    assert.equal(await code('t-old'), 'revoked');
    assert.equal(await code('t-new'), 'valid');
    assert.equal(await code('t-user'), 'revoked');
    assert.equal(await code('t-dom'), 'revoked');
    assert.equal(await code('t-grant'), 'revoked');
  });

  it('applying revocations twice or out of order never brings a token back', () => {
    const denyList = new DenyList();
    const later = makeEvent(
      'client.tokens_revoked',
      { clientId: 'c', revokedBefore: new Date(2000).toISOString() },
      'test',
    );
    const earlier = makeEvent(
      'client.tokens_revoked',
      { clientId: 'c', revokedBefore: new Date(1000).toISOString() },
      'test',
    );
    denyList.apply(later);
    denyList.apply(earlier);
    denyList.apply(later);
    const facts = {
      ...{
        clientId: 'c',
        subject: 'c',
        scopes: [],
        keyType: null,
        tokenType: null,
        userStoreDomain: null,
        grantId: null,
        jti: null,
        exp: null,
        format: 'opaque' as const,
        jkt: null,
      },
      issuedAtMs: 1500,
    };
    assert.equal(denyList.isDenied('h', facts), true);
  });
});
