/**
 * Foundation behaviour of every service, checked on real processes: configuration errors
 * fail fast, readiness follows the real dependencies, SIGTERM drains and exits 0.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, sharedInfra, startPrivateMongo, startPrivateRedis, uniqueName } from '@portico/testing';
import { exitOf, startService, waitForStatus } from '../src/index.ts';

const infra = sharedInfra();

for (const name of ['store', 'key-manager', 'gateway'] as const) {
  test(`${name}: a bad variable exits non-zero naming the variable`, async () => {
    const p = startService(name, { PORT: 'eighty', LOG_LEVEL: 'loud' });
    const code = await exitOf(p);
    assert.equal(code, 2, p.output());
    assert.match(p.output(), /PORT: .*"eighty"/);
    assert.match(p.output(), /LOG_LEVEL: /);
  });
}

test('store: /readyz turns 503 when MongoDB stops and 200 when it returns; SIGTERM exits 0', async (t) => {
  const mongo = await startPrivateMongo();
  t.after(() => mongo.dispose());
  const port = await freePort();
  const p = startService('store', {
    PORT: String(port),
    MONGO_URL: mongo.url,
    MONGO_DB: uniqueName('store'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
  });
  t.after(() => p.stop('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`, 200, 60_000);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);

  await mongo.stop();
  const down = await waitForStatus(`${base}/readyz`, 503, 30_000);
  const body = (await down.json()) as { checks: Record<string, string> };
  assert.notEqual(body.checks['mongo'], 'ok');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'liveness does not depend on MongoDB');

  await mongo.start();
  await waitForStatus(`${base}/readyz`, 200, 60_000);

  assert.equal(await p.stop('SIGTERM'), 0, p.output());
});

test('gateway: /readyz turns 503 when Redis stops and 200 when it returns', async (t) => {
  const redis = await startPrivateRedis();
  t.after(() => redis.dispose());
  const port = await freePort();
  const p = startService('gateway', {
    PORT: String(port),
    REDIS_URL: redis.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
  });
  t.after(() => p.stop('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`, 200, 60_000);
  await redis.stop();
  await waitForStatus(`${base}/readyz`, 503, 30_000);
  await redis.start();
  await waitForStatus(`${base}/readyz`, 200, 60_000);
});
