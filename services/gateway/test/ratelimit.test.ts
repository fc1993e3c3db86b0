/**
 * GCRA tier limits: the same behavioural suite against the Redis implementation (real Redis,
 * two clients standing for two replicas) and the in-memory twin.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { sharedInfra, testLogger, uniqueName } from '@portico/testing';
import type { Redis } from 'ioredis';
import type { RateLimitStore } from '../src/ratelimit/limiter.ts';
import { InMemoryRateLimitStore, RedisRateLimitStore } from '../src/ratelimit/limiter.ts';
import { createRedis } from '../src/redis.ts';

const clients: Redis[] = [];
let prefix = '';

before(async () => {
  prefix = `${uniqueName('gwrl')}:`;
  for (let i = 0; i < 2; i += 1) {
    const r = createRedis(sharedInfra().redisUrl, testLogger(), 1000);
    if (r.status !== 'ready') await once(r, 'ready');
    clients.push(r);
  }
});

after(async () => {
  try {
    const keys = await clients[0]?.keys(`${prefix}*`);
    if (keys && keys.length > 0) await clients[0]?.del(...keys);
  } finally {
    for (const c of clients) c.disconnect();
  }
});

const hourly = (key: string, requests: number, burst?: number) => ({
  key: `${prefix}${key}`,
  intervalMs: (3600 * 1000) / requests,
  capacity: burst ?? requests,
});

function suite(name: string, stores: () => RateLimitStore[]) {
  describe(name, () => {
    it('admits exactly the bucket size, then refuses with a retry time', async () => {
      const [a, b] = stores();
      const outcomes: boolean[] = [];
      for (let i = 0; i < 12; i += 1)
        outcomes.push((await (i % 2 ? (b ?? a) : a)?.take([hourly(`${name}:exact`, 5)]))?.allowed ?? false);
      assert.equal(outcomes.filter(Boolean).length, 5);
      const refused = await a?.take([hourly(`${name}:exact`, 5)]);
      assert.equal(refused?.allowed, false);
      assert.ok((refused?.retryAfterMs ?? 0) > 0 && (refused?.retryAfterMs ?? 0) <= 720_000);
      assert.equal(refused?.states[0]?.remaining, 0);
    });

    it('reports remaining requests as they are used', async () => {
      const [a] = stores();
      const seen: number[] = [];
      for (let i = 0; i < 3; i += 1)
        seen.push((await a?.take([hourly(`${name}:rem`, 3)]))?.states[0]?.remaining ?? -1);
      assert.deepEqual(seen, [2, 1, 0]);
    });

    it('a refusal by one limit charges none of the others', async () => {
      const [a] = stores();
      const app = hourly(`${name}:app`, 1);
      const sub = hourly(`${name}:sub`, 10);
      assert.equal((await a?.take([sub, app]))?.allowed, true);
      const refused = await a?.take([sub, app]);
      assert.equal(refused?.allowed, false);
      assert.equal(refused?.refusedBy, 1);
      // The subscription still has 9 - 0 charged by the refused request.
      assert.equal((await a?.take([sub]))?.states[0]?.remaining, 8);
    });

    it('concurrent requests through two replicas never exceed the limit', async () => {
      const [a, b] = stores();
      const limit = hourly(`${name}:concurrent`, 20);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => ((i % 2 ? b : a) ?? a)?.take([limit])),
      );
      assert.equal(results.filter((r) => r?.allowed).length, 20);
    });
  });
}

suite('redis (two clients)', () => clients.map((c) => new RedisRateLimitStore(c)));
const twin = new InMemoryRateLimitStore();
suite('in-memory twin', () => [twin, twin]);
