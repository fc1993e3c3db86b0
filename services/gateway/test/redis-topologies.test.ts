/**
 * The gateway on Redis Sentinel and on Redis Cluster, everything real: the key-manager (its own
 * process, shared FerretDB), Kafka (shared broker, unique topic prefix), private Sentinel
 * (1 master, 1 replica, 3 sentinels) and Cluster (3 masters) setups from the Debian package,
 * both password-protected, and gateway processes configured with REDIS_SENTINELS /
 * REDIS_CLUSTER_NODES. The failover test runs last: it SIGKILLs the Sentinel master.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReadModelSnapshot } from '@portico/events';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import type { PrivateRedisCluster, PrivateRedisSentinel } from '@portico/testing';
import {
  freePorts,
  sharedInfra,
  startPrivateRedisCluster,
  startPrivateRedisSentinel,
  testLogger,
  uniqueName,
  waitFor,
} from '@portico/testing';
import { Cluster } from 'ioredis';
import { RedisTokenCache, tokenCacheKey } from '../src/auth/cache.ts';
import { tokenHash } from '../src/auth/facts.ts';
import { CacheIntegrity } from '../src/auth/integrity.ts';
import { applicationLimitKey, subscriptionLimitKey } from '../src/ratelimit/keys.ts';
import type { EchoUpstream } from './support/echo-upstream.ts';
import { startEchoUpstream } from './support/echo-upstream.ts';
import type { GatewayReplica, KeyManagerProcess } from './support/processes.ts';
import { gatewayReplica, keyManagerProcess } from './support/processes.ts';

const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const GATEWAY_SECRET = `gw-${randomBytes(12).toString('hex')}`;
const INTEGRITY_KEY = randomBytes(32).toString('hex');
const REDIS_PREFIX = 'topo:';
const infra = sharedInfra();
const prefix = `${uniqueName('gwtopo')}.`;
const topics = topicNames(prefix);
const bus = new EventBus({
  brokers: infra.kafkaBrokers,
  clientId: 'gateway-topologies',
  logger: testLogger(),
});

let upstream: EchoUpstream;
let sentinel: PrivateRedisSentinel;
let cluster: PrivateRedisCluster;
let km: KeyManagerProcess;
let clientId = '';
/** Sentinel replicas: RATE_LIMIT_FAIL_MODE open and closed. */
let sOpen: GatewayReplica;
let sClosed: GatewayReplica;
/** Cluster replica. */
let c: GatewayReplica;

const newToken = async () =>
  String((await km.admin(`/admin/clients/${clientId}/tokens`, {}))['access_token']);

async function call(gw: GatewayReplica, pathname: string, token: string, timeoutMs = 5000) {
  const res = await fetch(`${gw.url}${pathname}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code ?? '' };
}

/** The value of one counter series on a replica's /metrics (0 when absent). */
async function metric(gw: GatewayReplica, series: RegExp): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (series.test(line)) total += Number(line.split(' ').at(-1));
  return total;
}
const L2_HITS = /^gateway_token_cache_lookups_total\{[^}]*level="l2",result="hit"/;
const RL_BYPASSED = /^gateway_rate_limit_unavailable_total/;
const TAMPERED = /^gateway_token_cache_integrity_failures_total/;

function snapshot(): ReadModelSnapshot {
  const api = (apiId: string, context: string) => ({
    revision: 1,
    apiId,
    name: apiId,
    version: '1.0.0',
    context,
    productionUrl: `${upstream.url}/${apiId}`,
    sandboxUrl: null,
    scopes: [],
    lifecycle: 'PUBLISHED' as const,
  });
  const sub = (apiId: string, tier: string) => ({
    revision: 1,
    subscriptionId: `sub_${apiId}`,
    applicationId: 'app_topo',
    apiId,
    tier,
    status: 'ACTIVE' as const,
  });
  const tier = (name: string, requests: number | null) => ({
    revision: 1,
    name,
    requests,
    unitSeconds: 3600,
    burst: null,
  });
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    position: {},
    apis: [
      api('api_acc', '/acc/1.0.0'),
      api('api_limited', '/limited/1.0.0'),
      api('api_busy', '/busy/1.0.0'),
    ],
    tiers: [tier('Unlimited', null), tier('Bronze5', 5), tier('Big', 1_000_000), tier('AppGold', 1_000_000)],
    applications: [
      {
        revision: 1,
        applicationId: 'app_topo',
        name: 'Topo',
        owner: 'PRIMARY/alice',
        // An application tier too: the rate-limit script then charges two keys per request.
        tier: 'AppGold',
        keys: [{ keyType: 'PRODUCTION', clientId, allowedDomains: [] }],
      },
    ],
    subscriptions: [sub('api_acc', 'Unlimited'), sub('api_limited', 'Bronze5'), sub('api_busy', 'Big')],
  };
}

before(async () => {
  upstream = await startEchoUpstream();
  [sentinel, cluster] = await Promise.all([startPrivateRedisSentinel(), startPrivateRedisCluster()]);
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));
  const [kmPort, kmAdminPort, ...gwPorts] = (await freePorts(8)) as [number, number, ...number[]];
  km = await keyManagerProcess({
    ports: { port: kmPort, adminPort: kmAdminPort },
    mongoUrl: infra.mongoUrl,
    kafkaBrokers: infra.kafkaBrokers,
    topicPrefix: prefix,
    adminToken: ADMIN_TOKEN,
    gatewaySecret: GATEWAY_SECRET,
  });
  await km.start();
  const created = await km.admin('/admin/clients', {
    applicationId: 'app_topo',
    keyType: 'PRODUCTION',
    tokenFormat: 'opaque',
    grantTypes: ['client_credentials'],
  });
  clientId = String(created['clientId']);
  const file = path.join(tmpdir(), `${uniqueName('readmodel')}.json`);
  await writeFile(file, JSON.stringify(snapshot()));
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    KEY_MANAGER_URL: km.issuer,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    KEY_MANAGER_TIMEOUT_MS: '2000',
    READ_MODEL_FILE: file,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: REDIS_PREFIX,
    CACHE_INTEGRITY_KEY: INTEGRITY_KEY,
    BACKEND_JWT_ENABLED: 'false',
  };
  const viaSentinel = {
    ...env,
    REDIS_SENTINELS: sentinel.sentinels.join(','),
    REDIS_SENTINEL_NAME: sentinel.name,
    REDIS_PASSWORD: sentinel.password,
  };
  const port = (i: number) => ({ port: gwPorts[2 * i] as number, adminPort: gwPorts[2 * i + 1] as number });
  sOpen = await gatewayReplica('gw-sentinel-open', port(0), { ...viaSentinel, RATE_LIMIT_FAIL_MODE: 'open' });
  sClosed = await gatewayReplica('gw-sentinel-closed', port(1), {
    ...viaSentinel,
    RATE_LIMIT_FAIL_MODE: 'closed',
  });
  c = await gatewayReplica('gw-cluster', port(2), {
    ...env,
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    REDIS_PASSWORD: cluster.password,
  });
  await Promise.all([sOpen.start(), sClosed.start(), c.start()]);
});

after(async () => {
  for (const p of [sOpen, sClosed, c, km]) await p?.dispose().catch(() => undefined);
  await Promise.all([sentinel?.dispose(), cluster?.dispose()]);
  await upstream?.close();
  await bus
    .admin((ad) => ad.deleteTopics({ topics: Object.values(topics), timeout: 5000 }))
    .catch(() => undefined);
});

/** 5 per hour across `replicas`: exactly 5 admitted, then 429; Redis was asked every time. */
async function assertOneTierLimit(replicas: GatewayReplica[]) {
  const token = await newToken();
  const bypassed = await Promise.all(replicas.map((gw) => metric(gw, RL_BYPASSED)));
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1)
    statuses.push((await call(replicas[i % replicas.length]!, '/limited/1.0.0/x', token)).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  assert.deepEqual(await Promise.all(replicas.map((gw) => metric(gw, RL_BYPASSED))), bypassed);
}

describe('Redis Sentinel', () => {
  it('two replicas share a cached validation through the Sentinel master and enforce one tier limit', async () => {
    const token = await newToken();
    assert.equal((await call(sOpen, '/acc/1.0.0/x', token)).status, 200);
    const hits = await metric(sClosed, L2_HITS);
    // Level 2 is written in the background: the second replica finds it in Redis soon after.
    await waitFor(
      async () =>
        (await call(sClosed, '/acc/1.0.0/x', token)).status === 200 &&
        (await metric(sClosed, L2_HITS)) > hits,
      {
        timeoutMs: 5000,
        message: 'no level-2 hit on the second replica',
      },
    );
    await assertOneTierLimit([sOpen, sClosed]);
  });
});

describe('Redis Cluster', () => {
  it('serves a cached validation from the cluster and enforces the tier limit with both limit keys in one slot', async () => {
    const token = await newToken();
    assert.equal((await call(c, '/acc/1.0.0/x', token)).status, 200);
    const reader = new Cluster(
      cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
      {
        redisOptions: { password: cluster.password },
      },
    );
    try {
      const cache = new RedisTokenCache(reader, REDIS_PREFIX, new CacheIntegrity(INTEGRITY_KEY));
      await waitFor(async () => (await cache.get(tokenHash(token)))?.result.valid === true, {
        timeoutMs: 5000,
        message: 'the gateway did not write a sealed entry into the cluster',
      });
    } finally {
      reader.disconnect();
    }
    await assertOneTierLimit([c]);
    const owners = await Promise.all([
      cluster.ownerOf(subscriptionLimitKey(REDIS_PREFIX, 'app_topo', 'api_limited', 'Bronze5')),
      cluster.ownerOf(applicationLimitKey(REDIS_PREFIX, 'app_topo', 'AppGold')),
    ]);
    assert.equal(owners[0], owners[1]);
  });

  it('a validation entry forged straight into the cluster is not accepted by the gateway', async () => {
    const token = `forged${randomBytes(16).toString('hex')}`;
    const key = tokenCacheKey(REDIS_PREFIX, tokenHash(token));
    const now = Date.now();
    const facts = {
      clientId,
      subject: clientId,
      scopes: ['default'],
      keyType: 'PRODUCTION',
      tokenType: 'application',
      userStoreDomain: null,
      grantId: null,
      jti: null,
      exp: Math.floor(now / 1000) + 3600,
      issuedAtMs: now,
      format: 'opaque',
      jkt: null,
    };
    const writer = new Cluster([{ host: '127.0.0.1', port: Number(cluster.nodes[0]?.split(':')[1]) }], {
      redisOptions: { password: cluster.password },
    });
    try {
      await writer.set(
        key,
        JSON.stringify({ result: { valid: true, facts }, until: now + 60_000 }),
        'PX',
        60_000,
      );
    } finally {
      writer.disconnect();
    }
    const tampered = await metric(c, TAMPERED);
    const res = await call(c, '/acc/1.0.0/x', token);
    assert.equal(res.status, 401);
    assert.equal(await metric(c, TAMPERED), tampered + 1);
  });
});

describe('Sentinel failover during traffic', () => {
  it('master SIGKILLed: new tokens are validated at the key-manager, limits follow RATE_LIMIT_FAIL_MODE, a revoked token is never 200', async (t) => {
    const revoked = await newToken();
    for (const gw of [sOpen, sClosed]) assert.equal((await call(gw, '/acc/1.0.0/x', revoked)).status, 200);
    await km.admin('/admin/revocations', { token: revoked });
    await waitFor(
      async () =>
        (await call(sOpen, '/acc/1.0.0/x', revoked)).status === 401 &&
        (await call(sClosed, '/acc/1.0.0/x', revoked)).status === 401,
      { timeoutMs: 20_000, message: 'revocation not applied' },
    );
    const busy = await newToken();
    const seen: Record<string, number[]> = { revoked: [], fresh: [], open: [], closed: [] };
    let stop = false;
    // A request that gets no answer at all (connection error, 10 s timeout) is recorded as -1.
    const status = (p: Promise<{ status: number }>) => p.then((r) => r.status).catch(() => -1);
    const traffic = (async () => {
      while (!stop) {
        for (const gw of [sOpen, sClosed])
          seen['revoked']!.push(await status(call(gw, '/acc/1.0.0/x', revoked, 10_000)));
        // A token no cache has seen: level 2 is down or moving, the key-manager answers.
        const fresh = await newToken();
        seen['fresh']!.push(await status(call(sOpen, '/acc/1.0.0/x', fresh, 10_000)));
        seen['open']!.push(await status(call(sOpen, '/busy/1.0.0/x', busy, 10_000)));
        seen['closed']!.push(await status(call(sClosed, '/busy/1.0.0/x', busy, 10_000)));
      }
    })();
    let failover: Awaited<ReturnType<PrivateRedisSentinel['failover']>>;
    let recoveredMs: number;
    let bypassedBefore: number;
    try {
      await new Promise((r) => setTimeout(r, 500));
      bypassedBefore = await metric(sOpen, RL_BYPASSED);
      failover = await sentinel.failover();
      // Recovered when the closed replica can check its limit again.
      const t0 = Date.now();
      await waitFor(async () => (await status(call(sClosed, '/busy/1.0.0/x', busy))) === 200, {
        timeoutMs: 20_000,
        intervalMs: 50,
        message: 'the closed replica never recovered its rate limits',
      });
      recoveredMs = failover.ms + (Date.now() - t0);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      stop = true;
      await traffic;
    }
    const count = (list: number[], status: number) => list.filter((s) => s === status).length;
    t.diagnostic(
      `failover ${failover.from.port} -> ${failover.to.port} in ${failover.ms} ms; closed replica's limits back after ${recoveredMs} ms; ` +
        `fresh ${count(seen['fresh']!, 200)}x200/${seen['fresh']!.length}, open ${count(seen['open']!, 200)}x200, ` +
        `closed ${count(seen['closed']!, 503)}x503/${seen['closed']!.length}`,
    );
    assert.equal(count(seen['revoked']!, 200), 0, 'a revoked token was answered 200');
    const all = JSON.stringify(seen);
    assert.deepEqual([...new Set(seen['revoked'])], [401], all);
    assert.deepEqual(
      [...new Set(seen['fresh'])],
      [200],
      `a new token was not validated at the key-manager: ${all}`,
    );
    assert.deepEqual(
      [...new Set(seen['open'])],
      [200],
      `fail-open replica refused during the failover: ${all}`,
    );
    assert.ok(
      count(seen['closed']!, 503) > 0,
      'the fail-closed replica never answered 503 while the master was gone',
    );
    assert.deepEqual([...new Set(seen['closed'])].sort(), [200, 503], all);
    assert.ok((await metric(sOpen, RL_BYPASSED)) > bypassedBefore);
    // After the failover both replicas use the promoted master: an entry one writes, the other
    // reads (each replica reconnects on its own schedule, hence a fresh token per attempt).
    const t1 = Date.now();
    await waitFor(
      async () => {
        const fresh = await newToken();
        assert.equal((await call(sOpen, '/acc/1.0.0/x', fresh)).status, 200);
        await new Promise((r) => setTimeout(r, 50));
        const hits = await metric(sClosed, L2_HITS);
        assert.equal((await call(sClosed, '/acc/1.0.0/x', fresh)).status, 200);
        return (await metric(sClosed, L2_HITS)) > hits;
      },
      // ioredis finds the promoted master when its connection fails or Sentinel tells it; on a
      // busy machine that can take a while.
      { timeoutMs: 30_000, intervalMs: 100, message: 'no level-2 hit through the promoted master' },
    );
    t.diagnostic(`level 2 shared again ${Date.now() - t1} ms after the closed replica recovered + 1 s`);
  });
});
