/**
 * The read model from the REAL store (its own process): the gateway loads the snapshot from
 * GET {STORE_URL}/internal/read-model with READ_MODEL_TOKEN, then follows the store's topics.
 * A catalog API is routed (401 without a token, not 404), unknown paths are 404.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import { freePorts, sharedInfra, testLogger, uniqueName } from '@portico/testing';
import type { GatewayReplica, ServiceProcess } from './support/processes.ts';
import { gatewayReplica, httpOk, serviceProcess } from './support/processes.ts';

const infra = sharedInfra();
const prefix = `${uniqueName('gwstore')}.`;
const topics = topicNames(prefix);
const bus = new EventBus({
  brokers: infra.kafkaBrokers,
  clientId: 'gateway-store-test',
  logger: testLogger(),
});
const READ_MODEL_TOKEN = `rm-${randomBytes(12).toString('hex')}`;
let dir: string;
let store: ServiceProcess;
let gw: GatewayReplica;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gw-store-'));
  const catalog = path.join(dir, 'catalog.yaml');
  await writeFile(
    catalog,
    [
      'apis:',
      '  - name: Weather',
      '    version: 2.0.0',
      '    context: /weather/2.0.0',
      '    productionUrl: http://127.0.0.1:9/v2',
      '    lifecycle: PUBLISHED',
      '',
    ].join('\n'),
  );
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));
  const [storePort, port, adminPort, storeAdminPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const storeUrl = `http://127.0.0.1:${storePort}`;
  store = await serviceProcess(
    'store',
    'services/store/src/main.ts',
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(storePort),
      ADMIN_PORT: String(storeAdminPort),
      PUBLIC_URL: storeUrl,
      MONGO_URL: infra.mongoUrl,
      MONGO_DB: uniqueName('gwstore'),
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      CATALOG_FILE: catalog,
      READ_MODEL_TOKEN,
      OUTBOX_RELAY_INTERVAL_MS: '200',
    },
    () => httpOk(`${storeUrl}/readyz`),
  );
  await store.start();
  gw = await gatewayReplica(
    'gw-store',
    { port, adminPort },
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      STORE_URL: storeUrl,
      READ_MODEL_TOKEN,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${prefix}:`,
      KEY_MANAGER_URL: 'http://127.0.0.1:9',
    },
  );
  await gw.start();
});

after(async () => {
  await gw?.dispose().catch(() => undefined);
  await store?.dispose().catch(() => undefined);
  await bus
    .admin((a) => a.deleteTopics({ topics: Object.values(topics), timeout: 5000 }))
    .catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

it('routes the APIs of the store snapshot: a catalog API answers 401 without a token, an unknown one 404', async () => {
  const known = await fetch(`${gw.url}/weather/2.0.0/today`);
  assert.equal(known.status, 401);
  assert.equal(
    known.headers.get('www-authenticate'),
    'Bearer',
    'no credentials: a challenge without an error',
  );
  const unknown = await fetch(`${gw.url}/rain/1.0.0/today`);
  assert.equal(unknown.status, 404);
});
