/**
 * Foundation behaviour of every service, checked on real processes: configuration errors
 * fail fast, readiness follows the real dependencies, SIGTERM drains and exits 0.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import {
  freePorts,
  sharedInfra,
  startPrivateMongo,
  startPrivateRedis,
  testLogger,
  uniqueName,
} from '@portico/testing';
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

for (const name of ['store', 'key-manager'] as const) {
  test(`${name}: KAFKA_REPLICATION_FACTOR=2 on one broker stops the start naming it (docs/adr/0066)`, async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const p = startService(name, {
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      MONGO_URL: infra.mongoUrl,
      MONGO_DB: uniqueName(name),
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `${uniqueName('rf')}.`,
      KAFKA_REPLICATION_FACTOR: '2',
    });
    const code = await exitOf(p);
    assert.equal(code, 1, p.output());
    assert.match(p.output(), /KAFKA_REPLICATION_FACTOR: 2 replicas need as many brokers; the cluster has 1/);
  });
}

test('store: /readyz turns 503 when MongoDB stops and 200 when it returns; SIGTERM exits 0', async (t) => {
  const mongo = await startPrivateMongo();
  t.after(() => mongo.dispose());
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const p = startService('store', {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    MONGO_URL: mongo.url,
    MONGO_DB: uniqueName('store'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
  });
  t.after(() => p.stop('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`, 200, 60_000);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  // Metrics live on the admin port only: the public port is what the portal Ingress routes.
  assert.equal((await fetch(`${base}/metrics`)).status, 404);
  assert.match(
    await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text(),
    /http_request_duration_seconds/,
  );

  await mongo.stop();
  const down = await waitForStatus(`${base}/readyz`, 503, 30_000);
  const body = (await down.json()) as { checks: Record<string, string> };
  assert.notEqual(body.checks['mongo'], 'ok');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'liveness does not depend on MongoDB');

  await mongo.start();
  await waitForStatus(`${base}/readyz`, 200, 60_000);

  assert.equal(await p.stop('SIGTERM'), 0, p.output());
});

// The gateway's readiness follows the revocation replay and the read model, NOT Redis: without
// Redis it still answers correctly (docs/adr/0031; journey 6 in faults.test.ts proves the answers).
test('gateway: /readyz is 503 until its topics can be replayed, stays 200 when Redis stops; SIGTERM exits 0', async (t) => {
  const redis = await startPrivateRedis();
  t.after(() => redis.dispose());
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const dir = await mkdtemp(join(tmpdir(), 'gw-ready-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const readModel = join(dir, 'read-model.json');
  await writeFile(
    readModel,
    JSON.stringify({
      version: 1,
      generatedAt: new Date().toISOString(),
      position: {},
      apis: [],
      tiers: [],
      applications: [],
      subscriptions: [],
    }),
  );
  const prefix = `${uniqueName('t')}.`;
  const p = startService('gateway', {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    REDIS_URL: redis.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    READ_MODEL_FILE: readModel,
  });
  t.after(() => p.stop('SIGKILL'));
  const admin = `http://127.0.0.1:${adminPort}`;
  // Its topics do not exist yet (the key-manager and the store create them): not ready.
  const early = await waitForStatus(`${admin}/readyz`, 503, 60_000);
  assert.match(JSON.stringify(await early.json()), /revocations/);
  assert.equal((await fetch(`${admin}/healthz`)).status, 200);

  const bus = new EventBus({ brokers: infra.kafkaBrokers, clientId: 'e2e-foundation', logger: testLogger() });
  await bus.ensureTopics(topicSpecs(topicNames(prefix), { revocationRetentionMs: 3600_000, partitions: 1 }));
  await waitForStatus(`${admin}/readyz`, 200, 60_000);
  await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 5_000);

  await redis.stop();
  for (let i = 0; i < 5; i += 1) {
    assert.equal((await fetch(`${admin}/readyz`)).status, 200, 'Redis is not a readiness check');
  }
  await redis.start();
  assert.equal(await p.stop('SIGTERM'), 0, p.output());
});

// Redaction follows each schema's secret() marks, not names: BOOTSTRAP_USERS carries passwords.
test('key-manager: the start-up log shows the configuration without any secret value', async (t) => {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const secrets = {
    BOOTSTRAP_USERS: 'PRIMARY/root-admin:Bootstrap-Pa55word-1:admin',
    KEY_MANAGER_ADMIN_TOKEN: 'admin-token-value-0123456789',
    PORTAL_CLIENT_SECRET: 'portal-secret-value-0123456789',
    GATEWAY_CLIENT_SECRET: 'gateway-secret-value-0123456789',
    TOKEN_HASH_KEY: 'token-hash-key-value-0123456789abcdef',
    COOKIE_KEYS: 'cookie-key-value-0123456789abcdef',
  };
  const p = startService('key-manager', {
    ...secrets,
    LOG_LEVEL: 'info',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    MONGO_URL: infra.mongoUrl,
    MONGO_DB: uniqueName('km'),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
  });
  t.after(() => p.stop('SIGKILL'));
  await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 60_000);
  const starting = p
    .output()
    .split('\n')
    .find((line) => line.includes('"starting"'));
  assert.ok(starting, p.output());
  const shown = (JSON.parse(starting) as { config: Record<string, unknown> }).config;
  assert.equal(shown['PORT'], port, 'the configuration is logged');
  for (const [key, value] of Object.entries(secrets)) {
    assert.equal(shown[key], '[redacted]', key);
    assert.ok(!p.output().includes(value), `${key}'s value appears in the log`);
  }
  assert.ok(!p.output().includes('Bootstrap-Pa55word-1'));
  assert.equal(await p.stop('SIGTERM'), 0, p.output());
});
