/**
 * Usage counting end to end with real processes: gateway replicas (`node src/main.ts`) with a
 * read model file and JWT access tokens (JWKS served here), real Redis (rate limits), real Kafka
 * (the shared broker, and a private one for the outage). Batches are read back from the usage
 * topic the gateway creates.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningConsumer, UsageBatch } from '@portico/events';
import { EventBus, topicNames, topicSpecs, usageBatch, usageTopicName } from '@portico/events';
import type { PrivateService } from '@portico/testing';
import { freePorts, sharedInfra, startPrivateKafka, testLogger, uniqueName, waitFor } from '@portico/testing';
import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { EchoUpstream } from './support/echo-upstream.ts';
import { startEchoUpstream } from './support/echo-upstream.ts';
import { appTokenClaims, snapshotFixture } from './support/fixtures.ts';
import type { GatewayReplica } from './support/processes.ts';
import { gatewayReplica } from './support/processes.ts';

const infra = sharedInfra();
let upstream: EchoUpstream;
let jwksServer: Server;
let issuer = '';
let signingKey: CryptoKey;
let readModelFile = '';
const replicas: GatewayReplica[] = [];
const cleanups: Array<() => Promise<void>> = [];

function jwt(clientId: string, keyType: 'PRODUCTION' | 'SANDBOX'): Promise<string> {
  return new SignJWT(appTokenClaims(clientId, keyType))
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience('portico-gateway')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);
}

async function call(gw: GatewayReplica, pathname: string, token?: string): Promise<number> {
  const res = await fetch(`${gw.url}${pathname}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.status;
}

/** A gateway replica on `brokers` with a unique topic prefix, Redis key prefix and name. */
async function replica(
  brokers: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<GatewayReplica> {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const gw = await gatewayReplica(
    uniqueName('gw-usage'),
    { port, adminPort },
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      KEY_MANAGER_URL: issuer,
      KEY_MANAGER_ISSUER: issuer,
      READ_MODEL_FILE: readModelFile,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${prefix}:`,
      UPSTREAM_TIMEOUT_MS: '3000',
      ANALYTICS_FLUSH_INTERVAL_MS: '1000',
      ...env,
    },
  );
  replicas.push(gw);
  return gw;
}

/** Collects every usage batch on the topic (created by the gateway: waits for it to exist). */
async function collectBatches(
  bus: EventBus,
  topic: string,
): Promise<{ batches: UsageBatch[]; stop: () => Promise<void> }> {
  await waitFor(async () => (await bus.admin((a) => a.listTopics())).includes(topic), {
    timeoutMs: 30_000,
    intervalMs: 200,
    message: `usage topic ${topic} never created`,
  });
  const batches: UsageBatch[] = [];
  const consumer: RunningConsumer = await bus.consume({
    broadcast: true,
    topics: [topic],
    schema: usageBatch,
    handle: (batch) => {
      batches.push(batch);
    },
  });
  cleanups.push(() => consumer.stop());
  return { batches, stop: () => consumer.stop() };
}

/** Sums batches into `key -> requests`. */
function totals(batches: UsageBatch[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of batches) {
    for (const r of b.data.rows) out.set(r.key, (out.get(r.key) ?? 0) + r.requests);
  }
  return out;
}

const requestsIn = (batches: UsageBatch[]) =>
  batches.reduce((n, b) => n + b.data.rows.reduce((m, r) => m + r.requests, 0), 0);

async function metricsText(gw: GatewayReplica): Promise<string> {
  const res = await fetch(`${gw.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

function metricValue(text: string, name: string): number {
  // `name value` or `name{default labels} value`
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

before(async () => {
  upstream = await startEchoUpstream();
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  signingKey = privateKey;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  jwksServer.listen(0, '127.0.0.1');
  await once(jwksServer, 'listening');
  issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  readModelFile = path.join(tmpdir(), `${uniqueName('usage-readmodel')}.json`);
  // Gold: 4 requests per minute per subscription, so the 5th call on one API is throttled.
  await writeFile(
    readModelFile,
    JSON.stringify(snapshotFixture({ upstreamUrl: upstream.url, tierRequests: 4, tierUnitSeconds: 60 })),
  );
});

after(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  for (const gw of replicas) await gw.dispose().catch(() => undefined);
  jwksServer?.closeAllConnections();
  jwksServer?.close();
  await upstream?.close();
});

async function sharedBus(prefix: string): Promise<{ bus: EventBus; topic: string }> {
  const bus = new EventBus({ brokers: infra.kafkaBrokers, clientId: 'usage-test', logger: testLogger() });
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));
  const topic = usageTopicName(prefix);
  cleanups.push(() =>
    bus
      .admin((a) => a.deleteTopics({ topics: [...Object.values(topics), topic], timeout: 5000 }))
      .then(() => undefined),
  );
  return { bus, topic };
}

describe('usage counting at the gateway', () => {
  test('a known mix of requests is published as exactly those counts per application, key type, API and status class', async () => {
    const prefix = `${uniqueName('usage-mix')}.`;
    const { bus, topic } = await sharedBus(prefix);
    const gw = await replica(infra.kafkaBrokers.join(','), prefix);
    await gw.start();
    const prod = await jwt('client-prod', 'PRODUCTION');
    const sandbox = await jwt('client-sandbox', 'SANDBOX');
    const statuses: number[] = [];
    // Tier Gold admits 4 per subscription: 3 x 200 and one upstream 502, then 2 x 429.
    for (let i = 0; i < 3; i += 1) statuses.push(await call(gw, '/twitter/1.0.0/ok', prod));
    statuses.push(await call(gw, '/twitter/1.0.0/status-502', prod));
    for (let i = 0; i < 2; i += 1) statuses.push(await call(gw, '/twitter/1.0.0/ok', prod));
    statuses.push(await call(gw, '/refused/1.0.0/x', prod)); // upstream down: the gateway's own 502
    statuses.push(await call(gw, '/nosandbox/1.0.0/x', sandbox)); // 403 no_sandbox_endpoint
    for (let i = 0; i < 2; i += 1) statuses.push(await call(gw, '/twitter/1.0.0/ok')); // 401, no token
    statuses.push(await call(gw, '/nowhere/1.0.0/x', prod)); // 404, no API
    assert.deepEqual(statuses, [200, 200, 200, 502, 429, 429, 502, 403, 401, 401, 404]);

    const seen = await collectBatches(bus, topic);
    await waitFor(() => requestsIn(seen.batches) >= statuses.length, {
      timeoutMs: 20_000,
      intervalMs: 200,
      message: 'usage batches did not arrive',
    });
    await new Promise((r) => setTimeout(r, 1500)); // one more window: nothing else may come
    assert.deepEqual(Object.fromEntries([...totals(seen.batches)].sort(([a], [b]) => a.localeCompare(b))), {
      '-|-|-|4xx': 1,
      '-|-|api_twitter|401/403': 2,
      'app_1|PRODUCTION|api_refused|5xx': 1,
      'app_1|PRODUCTION|api_twitter|2xx': 3,
      'app_1|PRODUCTION|api_twitter|429': 2,
      'app_1|PRODUCTION|api_twitter|5xx': 1,
      'app_1|SANDBOX|api_noSandbox|401/403': 1,
    });
    for (const b of seen.batches) {
      assert.equal(b.id, b.data.batchId);
      assert.equal(b.data.replicaId, gw.name);
      assert.equal(Date.parse(b.data.windowStart) % 1000, 0, 'windows start on their boundary');
      for (const r of b.data.rows) {
        assert.equal(
          r.latencyBuckets.reduce((x, y) => x + y, 0),
          r.requests,
        );
      }
    }
    assert.equal(new Set(seen.batches.map((b) => b.id)).size, seen.batches.length, 'batch ids are unique');
    const lastUsed = new Map<string, string>();
    for (const b of seen.batches)
      for (const u of b.data.lastUsed) lastUsed.set(u.clientId, u.applicationId ?? '');
    assert.deepEqual(Object.fromEntries(lastUsed), { 'client-prod': 'app_1', 'client-sandbox': 'app_1' });
  });

  test('SIGTERM publishes the current window before the replica exits', async () => {
    const prefix = `${uniqueName('usage-term')}.`;
    const { bus, topic } = await sharedBus(prefix);
    // A one-minute window: without the flush on stop, nothing would be published for up to 60 s.
    const gw = await replica(infra.kafkaBrokers.join(','), prefix, { ANALYTICS_FLUSH_INTERVAL_MS: '60000' });
    await gw.start();
    const prod = await jwt('client-prod', 'PRODUCTION');
    for (let i = 0; i < 3; i += 1) assert.equal(await call(gw, '/nosandbox/1.0.0/ok', prod), 200);
    const stoppedAt = Date.now();
    await gw.stop();
    assert.equal(gw.exitCode, 0, gw.logTail());
    const seen = await collectBatches(bus, topic);
    await waitFor(() => requestsIn(seen.batches) >= 3, {
      timeoutMs: 15_000,
      intervalMs: 200,
      message: 'the current window was not published on SIGTERM',
    });
    assert.deepEqual(Object.fromEntries(totals(seen.batches)), { 'app_1|PRODUCTION|api_noSandbox|2xx': 3 });
    assert.ok(
      seen.batches.some((b) => Date.parse(b.occurredAt) >= stoppedAt),
      'a batch was sealed by the stop, not by a window end',
    );
  });

  test('a gateway creates the usage topic at start, before any request, so the store can follow it from the first batch', async () => {
    const prefix = `${uniqueName('usage-topic')}.`;
    const { bus, topic } = await sharedBus(prefix);
    const gw = await replica(infra.kafkaBrokers.join(','), prefix);
    await gw.start();
    await waitFor(async () => (await bus.admin((a) => a.listTopics())).includes(topic), {
      timeoutMs: 15_000,
      message: `usage topic ${topic} not created at start`,
    });
  });

  test('with ANALYTICS_ENABLED=false requests are served and nothing is counted or published', async () => {
    const prefix = `${uniqueName('usage-off')}.`;
    const { bus, topic } = await sharedBus(prefix);
    const gw = await replica(infra.kafkaBrokers.join(','), prefix, { ANALYTICS_ENABLED: 'false' });
    await gw.start();
    const prod = await jwt('client-prod', 'PRODUCTION');
    assert.equal(await call(gw, '/nosandbox/1.0.0/ok', prod), 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(await metricsText(gw), /gateway_usage_/);
    assert.equal((await bus.admin((a) => a.listTopics())).includes(topic), false);
  });
});

describe('usage counting while Kafka is away', () => {
  let kafka: PrivateService;
  before(async () => {
    kafka = await startPrivateKafka();
  });
  after(async () => {
    await kafka?.dispose();
  });

  test('a Kafka outage fails no request, and the batches arrive once Kafka is back', async () => {
    const prefix = `${uniqueName('usage-outage')}.`;
    const bus = new EventBus({ brokers: [kafka.url], clientId: 'usage-test', logger: testLogger() });
    await bus.ensureTopics(
      topicSpecs(topicNames(prefix), { revocationRetentionMs: 3600_000, partitions: 1 }),
    );
    const gw = await replica(kafka.url, prefix);
    await gw.start();
    const prod = await jwt('client-prod', 'PRODUCTION');
    assert.equal(await call(gw, '/nosandbox/1.0.0/ok', prod), 200); // creates the usage topic
    await waitFor(
      async () => metricValue(await metricsText(gw), 'gateway_usage_batches_published_total') >= 1,
      {
        timeoutMs: 20_000,
        intervalMs: 200,
        message: 'first batch not published',
      },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${gw.logTail(200)}`);
    });

    await kafka.stop();
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push(await call(gw, '/nosandbox/1.0.0/ok', prod)); // tier: 4 in all
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.ok(
      Date.now() - started < 3000,
      `requests were held while Kafka was down (${Date.now() - started} ms)`,
    );
    await waitFor(
      async () => metricValue(await metricsText(gw), 'gateway_usage_publish_failures_total') >= 1,
      {
        timeoutMs: 20_000,
        intervalMs: 250,
        message: 'no publish attempt failed while Kafka was down',
      },
    );
    assert.ok(metricValue(await metricsText(gw), 'gateway_usage_batches_pending') >= 1);

    await kafka.start();
    const seen = await collectBatches(bus, usageTopicName(prefix));
    await waitFor(() => requestsIn(seen.batches) >= 4, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: 'batches counted during the outage never arrived',
    });
    assert.deepEqual(Object.fromEntries(totals(seen.batches)), { 'app_1|PRODUCTION|api_noSandbox|2xx': 4 });
    assert.equal(metricValue(await metricsText(gw), 'gateway_usage_batches_dropped_total'), 0);
    await seen.stop();
    await gw.stop();
  });
});
