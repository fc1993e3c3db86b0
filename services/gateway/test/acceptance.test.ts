/**
 * Acceptance with everything real: the key-manager (its own process, shared FerretDB),
 * Kafka (shared broker, unique topic prefix), a private Redis (so it can be stopped), two
 * gateway replicas as separate processes, and an echo upstream.
 * Order matters: the last tests stop Redis and then the key-manager.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReadModelSnapshot } from '@portico/events';
import { EventBus, makeEvent, topicNames, topicSpecs } from '@portico/events';
import type { PrivateService } from '@portico/testing';
import { freePorts, sharedInfra, startPrivateRedis, testLogger, uniqueName, waitFor } from '@portico/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { EchoUpstream } from './support/echo-upstream.ts';
import { startEchoUpstream } from './support/echo-upstream.ts';
import type { GatewayReplica, KeyManagerProcess } from './support/processes.ts';
import { gatewayReplica, keyManagerProcess } from './support/processes.ts';

const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const GATEWAY_SECRET = `gw-${randomBytes(12).toString('hex')}`;
const infra = sharedInfra();
const prefix = `${uniqueName('gwacc')}.`;
const topics = topicNames(prefix);
const bus = new EventBus({
  brokers: infra.kafkaBrokers,
  clientId: 'gateway-acceptance',
  logger: testLogger(),
});

let upstream: EchoUpstream;
let redis: PrivateService;
let km: KeyManagerProcess;
let issuer = '';
let a: GatewayReplica;
let b: GatewayReplica;
const clients = { opaque: '', jwt: '', user: '' };
let userClientSecret = '';

async function newToken(clientId: string): Promise<string> {
  return String((await km.admin(`/admin/clients/${clientId}/tokens`, {}))['access_token']);
}

/** A JWT user token from the password grant (the token carries sub DOMAIN/name and user_store_domain). */
async function userToken(username: string): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clients.user)}:${encodeURIComponent(userClientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username, password: 'correct horse battery' }),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200) throw new Error(`password grant: ${res.status} ${JSON.stringify(body)}`);
  return String(body['access_token']);
}

/** One call through a replica; bounded so that a hang fails the test instead of stalling it. */
async function call(gw: GatewayReplica, pathname: string, token?: string) {
  const res = await fetch(`${gw.url}${pathname}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let body: { error?: { code?: string } } & Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

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
  const sub = (subscriptionId: string, applicationId: string, apiId: string, tier: string) => ({
    revision: 1,
    subscriptionId,
    applicationId,
    apiId,
    tier,
    status: 'ACTIVE' as const,
  });
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    position: {},
    apis: [
      api('api_acc', '/acc/1.0.0'),
      api('api_limited', '/limited/1.0.0'),
      api('api_events', '/events/1.0.0'),
    ],
    tiers: [
      { revision: 1, name: 'Unlimited', requests: null, unitSeconds: 60, burst: null },
      { revision: 1, name: 'Bronze5', requests: 5, unitSeconds: 3600, burst: null },
    ],
    applications: [
      {
        revision: 1,
        applicationId: 'app_opaque',
        name: 'Opaque',
        owner: 'PRIMARY/alice',
        tier: null,
        keys: [{ keyType: 'PRODUCTION', clientId: clients.opaque, allowedDomains: [] }],
      },
      {
        revision: 1,
        applicationId: 'app_jwt',
        name: 'Jwt',
        owner: 'PRIMARY/alice',
        tier: null,
        keys: [{ keyType: 'PRODUCTION', clientId: clients.jwt, allowedDomains: [] }],
      },
      {
        revision: 1,
        applicationId: 'app_user',
        name: 'Mobile',
        owner: 'PRIMARY/alice',
        tier: null,
        keys: [{ keyType: 'PRODUCTION', clientId: clients.user, allowedDomains: [] }],
      },
    ],
    subscriptions: [
      sub('sub_o_acc', 'app_opaque', 'api_acc', 'Unlimited'),
      sub('sub_j_acc', 'app_jwt', 'api_acc', 'Unlimited'),
      sub('sub_u_acc', 'app_user', 'api_acc', 'Unlimited'),
      sub('sub_o_lim', 'app_opaque', 'api_limited', 'Bronze5'),
      sub('sub_o_evt', 'app_opaque', 'api_events', 'Unlimited'),
    ],
  };
}

before(async () => {
  upstream = await startEchoUpstream();
  redis = await startPrivateRedis({ persistent: false });
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));

  const [kmPort, kmAdminPort, aPort, aAdmin, bPort, bAdmin] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  issuer = `http://127.0.0.1:${kmPort}`;
  km = await keyManagerProcess({
    ports: { port: kmPort, adminPort: kmAdminPort },
    mongoUrl: infra.mongoUrl,
    kafkaBrokers: infra.kafkaBrokers,
    topicPrefix: prefix,
    adminToken: ADMIN_TOKEN,
    gatewaySecret: GATEWAY_SECRET,
    env: { USER_STORE_DOMAINS: 'PARTNERS.EXAMPLE.COM' },
  });
  await km.start();
  for (const format of ['opaque', 'jwt'] as const) {
    const created = await km.admin('/admin/clients', {
      applicationId: `app_${format}`,
      keyType: 'PRODUCTION',
      tokenFormat: format,
      grantTypes: ['client_credentials'],
    });
    clients[format] = String(created['clientId']);
  }
  const userClient = await km.admin('/admin/clients', {
    applicationId: 'app_user',
    keyType: 'PRODUCTION',
    tokenFormat: 'jwt',
    grantTypes: ['password'],
  });
  clients.user = String(userClient['clientId']);
  userClientSecret = String(userClient['clientSecret']);
  for (const [domain, username] of [
    ['PRIMARY', 'alice'],
    ['PARTNERS.EXAMPLE.COM', 'bob'],
    ['PARTNERS.EXAMPLE.COM', 'dave'],
  ]) {
    await km.admin(`/admin/userstores/${domain}/users`, { username, password: 'correct horse battery' });
  }
  const file = path.join(tmpdir(), `${uniqueName('readmodel')}.json`);
  await writeFile(file, JSON.stringify(snapshot()));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    KEY_MANAGER_URL: issuer,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    KEY_MANAGER_TIMEOUT_MS: '1000',
    READ_MODEL_FILE: file,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${prefix}:`,
    // Both replicas seal and verify their shared Redis entries with one key.
    CACHE_INTEGRITY_KEY: randomBytes(32).toString('hex'),
    TOKEN_CACHE_TTL_SECONDS: '5',
    BACKEND_JWT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    UPSTREAM_TIMEOUT_MS: '3000',
  };
  a = await gatewayReplica('gw-a', { port: aPort, adminPort: aAdmin }, env);
  b = await gatewayReplica('gw-b', { port: bPort, adminPort: bAdmin }, env);
  await Promise.all([a.start(), b.start()]);
});

after(async () => {
  for (const p of [a, b, km]) await p?.dispose().catch(() => undefined);
  await redis?.dispose().catch(() => undefined);
  await upstream?.close();
  await bus
    .admin((ad) => ad.deleteTopics({ topics: Object.values(topics), timeout: 5000 }))
    .catch(() => undefined);
});

describe('gateway replicas with the real key-manager, Kafka and Redis', () => {
  it('serves opaque and JWT tokens; the upstream sees no Authorization and verifies the backend JWT with the gateway JWKS', async () => {
    for (const format of ['opaque', 'jwt'] as const) {
      const token = await newToken(clients[format]);
      for (const gw of [a, b]) {
        const res = await call(gw, '/acc/1.0.0/hello?x=1', token);
        assert.equal(res.status, 200, `${format} via ${gw.name}: ${JSON.stringify(res.body)}`);
        const seen = upstream.requests.at(-1);
        assert.equal(seen?.url, '/api_acc/hello?x=1');
        assert.equal(seen?.headers['authorization'], undefined);
        const { payload } = await jwtVerify(
          String(seen?.headers['x-jwt-assertion']),
          createRemoteJWKSet(new URL(`${gw.adminUrl}/.well-known/jwks.json`)),
          {
            issuer: 'portico-gateway',
            audience: '/acc/1.0.0',
          },
        );
        assert.equal(payload['client_id'], clients[format]);
        assert.equal(payload['key_type'], 'PRODUCTION');
      }
    }
  });

  it('answers 401 invalid_token for a token the key-manager does not know', async () => {
    const res = await call(a, '/acc/1.0.0/x', 'not-a-real-token');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  const revoked: string[] = [];
  for (const format of ['opaque', 'jwt'] as const) {
    it(`a ${format} token warmed into both cache levels, then revoked at the key-manager, is rejected by both replicas`, async (t) => {
      const token = await newToken(clients[format]);
      // a: key-manager -> level 1 + Redis; b: Redis (level 2) -> level 1.
      assert.equal((await call(a, '/acc/1.0.0/x', token)).status, 200);
      assert.equal((await call(b, '/acc/1.0.0/x', token)).status, 200);
      assert.equal((await call(b, '/acc/1.0.0/x', token)).status, 200);
      const started = Date.now();
      await km.admin('/admin/revocations', { token });
      const rejectedAt: Record<string, number> = {};
      await waitFor(
        async () => {
          for (const gw of [a, b]) {
            if (rejectedAt[gw.name] !== undefined) continue;
            const res = await call(gw, '/acc/1.0.0/x', token);
            assert.notEqual(res.status, 503);
            if (res.status === 401) rejectedAt[gw.name] = Date.now() - started;
          }
          return Object.keys(rejectedAt).length === 2;
        },
        { timeoutMs: 20_000, intervalMs: 25, message: 'revoked token still accepted' },
      );
      t.diagnostic(
        `revoked ${format} token rejected after ${rejectedAt['gw-a']} ms (gw-a), ${rejectedAt['gw-b']} ms (gw-b)`,
      );
      for (const gw of [a, b]) {
        const res = await call(gw, '/acc/1.0.0/x', token);
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
        // The deny-list answered, not an expired cache entry followed by introspection.
        assert.equal(res.body.error?.code, 'revoked_token');
      }
      revoked.push(token);
    });
  }

  it('user, domain and client revocations reach both replicas and spare tokens issued afterwards (iat_ms)', async (t) => {
    const tokens = {
      alice: await userToken('PRIMARY/alice'),
      bob: await userToken('PARTNERS.EXAMPLE.COM/bob'),
      dave: await userToken('partners.example.com/dave'),
      app: await newToken(clients.jwt),
    };
    for (const [who, token] of Object.entries(tokens)) {
      for (const gw of [a, b]) {
        const res = await call(gw, '/acc/1.0.0/x', token);
        assert.equal(res.status, 200, `${who} via ${gw.name}: ${JSON.stringify(res.body)}`);
      }
    }
    const rejectedEverywhere = (token: string, what: string) =>
      waitFor(
        async () => {
          for (const gw of [a, b]) {
            const res = await call(gw, '/acc/1.0.0/x', token);
            if (res.status !== 401) return false;
            assert.equal(res.body.error?.code, 'revoked_token');
          }
          return true;
        },
        { timeoutMs: 20_000, intervalMs: 25, message: `${what} still accepted` },
      );
    let started = Date.now();
    await km.admin('/admin/revocations', { subject: 'PRIMARY/alice' });
    await rejectedEverywhere(tokens.alice, 'user-revoked token');
    t.diagnostic(`user revocation applied by both replicas after ${Date.now() - started} ms`);
    assert.equal((await call(a, '/acc/1.0.0/x', tokens.bob)).status, 200);

    started = Date.now();
    await km.admin('/admin/revocations', { domain: 'PARTNERS.EXAMPLE.COM' });
    await rejectedEverywhere(tokens.bob, 'domain-revoked token');
    await rejectedEverywhere(tokens.dave, 'domain-revoked token');
    t.diagnostic(`domain revocation applied by both replicas after ${Date.now() - started} ms`);

    started = Date.now();
    await km.admin('/admin/revocations', { clientId: clients.jwt });
    await rejectedEverywhere(tokens.app, 'client-revoked token');
    t.diagnostic(`client revocation applied by both replicas after ${Date.now() - started} ms`);
    const later = await newToken(clients.jwt);
    for (const gw of [a, b]) assert.equal((await call(gw, '/acc/1.0.0/x', later)).status, 200);
    const laterUser = await userToken('PRIMARY/alice');
    for (const gw of [a, b]) assert.equal((await call(gw, '/acc/1.0.0/x', laterUser)).status, 200);
    revoked.push(tokens.alice, tokens.bob);
  });

  it('applies subscription and API events from Kafka without a restart', async () => {
    const token = await newToken(clients.opaque);
    assert.equal((await call(a, '/events/1.0.0/x', token)).status, 200);
    const publisher = await bus.publisher();
    try {
      await publisher.publish(topics.subscriptions, [
        makeEvent(
          'subscription.deleted',
          { revision: 2, subscriptionId: 'sub_o_evt', applicationId: 'app_opaque', apiId: 'api_events' },
          'test',
        ),
      ]);
      await publisher.publish(topics.apis, [
        makeEvent(
          'api.upserted',
          {
            revision: 1,
            apiId: 'api_fresh',
            name: 'fresh',
            version: '1.0.0',
            context: '/fresh/1.0.0',
            productionUrl: `${upstream.url}/fresh`,
            sandboxUrl: null,
            scopes: [],
            lifecycle: 'PUBLISHED',
          },
          'test',
        ),
      ]);
      await publisher.publish(topics.subscriptions, [
        makeEvent(
          'subscription.upserted',
          {
            revision: 1,
            subscriptionId: 'sub_o_fresh',
            applicationId: 'app_opaque',
            apiId: 'api_fresh',
            tier: 'Unlimited',
            status: 'ACTIVE',
          },
          'test',
        ),
      ]);
    } finally {
      await publisher.close();
    }
    for (const gw of [a, b]) {
      await waitFor(
        async () => (await call(gw, '/events/1.0.0/x', token)).body.error?.code === 'not_subscribed',
        { timeoutMs: 15_000, message: `${gw.name} still routes the removed subscription` },
      );
      await waitFor(async () => (await call(gw, '/fresh/1.0.0/x', token)).status === 200, {
        timeoutMs: 15_000,
        message: `${gw.name} does not route the new API`,
      });
    }
  });

  it('two replicas together enforce one tier limit (5 per hour): exactly 5 admitted, then 429 with Retry-After and RateLimit headers', async () => {
    const token = await newToken(clients.opaque);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 12; i += 1) {
      last = await call(i % 2 ? b : a, '/limited/1.0.0/x', token);
      statuses.push(last.status);
    }
    assert.equal(statuses.filter((s) => s === 200).length, 5, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 7, statuses.join(','));
    assert.equal(last?.body.error?.code, 'rate_limited');
    assert.ok(Number(last?.headers.get('retry-after')) > 0);
    assert.equal(last?.headers.get('ratelimit-limit'), '5');
    assert.equal(last?.headers.get('ratelimit-remaining'), '0');
    assert.ok(Number(last?.headers.get('ratelimit-reset')) > 0);
  });

  it('exposes per-replica metrics: revocation lag, consumer lag, cache hits by level, validation source, rate-limited requests', async () => {
    const text = await (await fetch(`${a.adminUrl}/metrics`)).text();
    for (const pattern of [
      /gateway_revocation_lag_seconds_count\{[^}]*replica="gw-a"[^}]*\} [1-9]/,
      /gateway_consumer_lag_messages\{[^}]*consumer="revocations"/,
      /gateway_token_cache_lookups_total\{[^}]*level="l1",result="hit"/,
      /gateway_token_validations_total\{[^}]*source="introspection",outcome="valid"/,
      /gateway_token_validations_total\{[^}]*source="jwt",outcome="valid"/,
      /gateway_rate_limited_total\{[^}]*api="api_limited",scope="subscription"/,
      /gateway_requests_total\{[^}]*api="api_acc",status="200"/,
    ]) {
      assert.ok(
        pattern.test(text),
        `metrics lack ${pattern}:\n${text
          .split('\n')
          .filter((l) => l.startsWith('gateway_'))
          .join('\n')}`,
      );
    }
    const publicMetrics = await fetch(`${a.url}/metrics`);
    assert.notEqual(publicMetrics.status, 200, 'metrics must not be on the public port');
  });

  it('a replica restarted after revocations is not ready before its replay ends and rejects revoked tokens from its first request', async () => {
    assert.equal(revoked.length, 4, 'needs the revoked tokens of the revocation tests');
    await b.stop();
    const answers: number[] = [];
    let readyAt = -1;
    const starting = b.start().then(() => {
      readyAt = answers.length;
    });
    // While it starts: whatever answers comes back for a revoked token must never be 200.
    while (readyAt < 0) {
      for (const token of revoked) {
        try {
          answers.push((await call(b, '/acc/1.0.0/x', token)).status);
        } catch {
          // not listening yet
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await starting;
    assert.ok(!answers.includes(200), `a revoked token passed during start-up: ${answers.join(',')}`);
    assert.ok(
      answers.slice(0, readyAt).every((s) => s === 503 || s === 401),
      answers.join(','),
    );
    for (const token of revoked) {
      const res = await call(b, '/acc/1.0.0/x', token);
      assert.equal(res.status, 401);
    }
    // The JWTs can only be caught by the deny-list: their signatures are still valid.
    for (const jwt of revoked.slice(1)) {
      const jwtRes = await call(b, '/acc/1.0.0/x', jwt);
      assert.equal(jwtRes.body.error?.code, 'revoked_token');
    }
  });

  it('Redis stopped: cached tokens still served, uncached ones validated at the key-manager, rate limits fail open, nothing hangs', async () => {
    const cached = await newToken(clients.opaque);
    const uncached = await newToken(clients.jwt);
    for (const gw of [a, b]) assert.equal((await call(gw, '/acc/1.0.0/x', cached)).status, 200);
    await redis.stop();
    try {
      for (const gw of [a, b]) {
        assert.equal((await call(gw, '/acc/1.0.0/x', cached)).status, 200);
        assert.equal((await call(gw, '/acc/1.0.0/x', uncached)).status, 200);
        // Over the limit already (previous test), but RATE_LIMIT_FAIL_MODE=open admits.
        assert.equal((await call(gw, '/limited/1.0.0/x', cached)).status, 200);
      }
      for (const gw of [a, b]) {
        assert.equal((await call(gw, '/acc/1.0.0/x', revoked[1])).status, 401);
      }
    } finally {
      await redis.start();
    }
  });

  it('SIGTERM drains: a request in flight completes before the replica exits', async () => {
    const token = await newToken(clients.opaque);
    assert.equal((await call(b, '/acc/1.0.0/x', token)).status, 200);
    const inFlight = call(b, '/acc/1.0.0/delay', token);
    await waitFor(() => upstream.requests.some((r) => r.url === '/api_acc/delay'), {
      message: 'request never reached the upstream',
    });
    const stopping = b.stop();
    const res = await inFlight;
    assert.equal(res.status, 200);
    await stopping;
    assert.equal(b.running, false);
    // 0: the drain finished; a shutdown that hit SHUTDOWN_TIMEOUT_MS exits 1.
    assert.equal(b.exitCode, 0);
  });

  it('key-manager stopped: cached valid tokens keep working until their entry ends, uncached ones get 503 with Retry-After', async () => {
    const cached = await newToken(clients.opaque);
    const uncached = await newToken(clients.opaque);
    // b was stopped by the drain test: a alone from here.
    assert.equal((await call(a, '/acc/1.0.0/x', cached)).status, 200);
    await km.stop();
    for (const gw of [a]) {
      const res = await call(gw, '/acc/1.0.0/x', uncached);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.equal((await call(gw, '/acc/1.0.0/x', cached)).status, 200);
    }
    // TOKEN_CACHE_TTL_SECONDS=5: once the entry ends the token cannot be verified any more.
    await waitFor(async () => (await call(a, '/acc/1.0.0/x', cached)).status === 503, {
      timeoutMs: 15_000,
      intervalMs: 250,
      message: 'cached entry never ended',
    });
  });
});
