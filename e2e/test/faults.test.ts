/**
 * Journey 6: faults, on a whole stack (services.sh + seed-demo.sh) pointed at a PRIVATE Kafka and a
 * PRIVATE Redis (so they can be stopped without touching the shared ones); FerretDB is shared.
 * Order matters: each test leaves the stack healthy for the next one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PrivateService } from '@portico/testing';
import { startPrivateKafka, startPrivateRedis, waitFor } from '@portico/testing';
import type { Configuration } from 'openid-client';
import type { CurlResult, DemoKeys, Stack } from '../src/index.ts';
import { callApi, DEMO, oauthClient, oidc, seedDemo, startLoad, startStack } from '../src/index.ts';

const SEARCH = `${DEMO.apiContext}/search.atom?q=cat`;
/** The local stand-in for the chart's preStopSleepSeconds: longer than the clients' probe period. */
const PRE_STOP_SLEEP_MS = 1000;
let kafka: PrivateService;
let redis: PrivateService;
let stack: Stack;
let keys: DemoKeys;
let client: Configuration;

const token = async () => (await oidc.clientCredentialsGrant(client)).access_token;
const tokens = async (n: number) => Promise.all(Array.from({ length: n }, () => token()));

async function statuses(gateways: string[], t: string): Promise<CurlResult[]> {
  return Promise.all(gateways.map((gw) => callApi(gw, SEARCH, t)));
}
async function assertNow(gateways: string[], t: string, status: number) {
  for (const [i, a] of (await statuses(gateways, t)).entries()) {
    assert.equal(a.status, status, `${gateways[i]}: ${a.status} ${a.body.slice(0, 200)}`);
  }
}
async function eventually(gateways: string[], t: string, status: number, timeoutMs = 30_000) {
  await waitFor(async () => (await statuses(gateways, t)).every((a) => a.status === status), {
    timeoutMs,
    intervalMs: 200,
    message: `${gateways.join(',')} answer ${status}`,
  });
}

before(async () => {
  [kafka, redis] = await Promise.all([startPrivateKafka(), startPrivateRedis({ persistent: false })]);
  stack = await startStack({ infra: { kafkaBrokers: kafka.url, redisUrl: redis.url } });
  keys = await seedDemo({
    storeUrl: stack.storeUrl,
    keyManagerUrl: stack.keyManagerUrl,
    developer: { username: DEMO.developer, password: stack.secrets['DEMO_DEVELOPER_PASSWORD']! },
    stateFile: `${stack.runDir}/demo-keys.json`,
  });
  // sandbox keys: unrestricted, so the calls need no domain header
  client = await oauthClient(stack.keyManagerUrl, keys.sandbox.clientId, keys.sandbox.clientSecret);
});

after(async () => {
  await stack?.close();
  await Promise.all([kafka?.dispose(), redis?.dispose()]);
});

describe('journey 6: faults', () => {
  it('Kafka stopped during revocations, then restarted: no revocation is lost', async () => {
    const batch = await tokens(20);
    for (const t of batch) await assertNow(stack.gateways, t, 200);
    await kafka.stop();
    for (const t of batch) await oidc.tokenRevocation(client, t);
    await kafka.start();
    for (const t of batch) await eventually(stack.gateways, t, 401, 90_000);
  });

  it('a restarted gateway replica is ready only after replaying revocations; no revoked token passes', async () => {
    const batch = await tokens(5);
    for (const t of batch) await assertNow(stack.gateways, t, 200); // valid in both cache levels
    const [gw1, gw2] = stack.gateways as [string, string];
    await stack.stop('gateway-2');
    for (const t of batch) await oidc.tokenRevocation(client, t);
    for (const t of batch) await eventually([gw1], t, 401);
    await stack.start('gateway-2'); // returns once its /readyz answers 200
    for (const t of batch) await assertNow([gw2], t, 401);
    await assertNow([gw2], await token(), 200);
  });

  it('Redis stopped: no hang, right answers; back to normal when it returns', async () => {
    const cached = await token();
    await assertNow(stack.gateways, cached, 200);
    const fresh = await token();
    const revoked = await token();
    await assertNow(stack.gateways, revoked, 200);
    await oidc.tokenRevocation(client, revoked);
    await eventually(stack.gateways, revoked, 401);
    await redis.stop();
    try {
      // curl's --max-time (10 s) bounds each call: a hang is status 0
      await assertNow(stack.gateways, cached, 200);
      await assertNow(stack.gateways, fresh, 200);
      await assertNow(stack.gateways, revoked, 401);
      await assertNow(stack.gateways, 'not-a-token', 401);
    } finally {
      await redis.start();
    }
    await eventually(stack.gateways, await token(), 200);
  });

  it('key-manager stopped: cached tokens are served, tokens never seen answer 503 with Retry-After', async () => {
    const cached = await token();
    await assertNow(stack.gateways, cached, 200);
    const unseen = await token();
    await stack.stop('key-manager');
    try {
      await assertNow(stack.gateways, cached, 200);
      for (const a of await statuses(stack.gateways, unseen)) {
        assert.equal(a.status, 503, a.body);
        assert.ok(Number(a.headers['retry-after']) > 0, 'Retry-After');
      }
    } finally {
      await stack.start('key-manager');
    }
    await assertNow(stack.gateways, unseen, 200);
  });

  it('one replica restarted under steady load: zero failed requests', async (t0) => {
    const t = await token();
    await assertNow(stack.gateways, t, 200);
    const load = startLoad({
      targets: stack.gateways.map((url, i) => ({ url, readyUrl: `${stack.gatewayAdmins[i]}/readyz` })),
      path: SEARCH,
      headers: { authorization: `Bearer ${t}` },
      ratePerSecond: 50,
    });
    await waitFor(() => load.perReplica().every((n) => n > 20), { message: 'load on both replicas' });
    // Kubernetes' termination sequence (the Helm chart's preStop sleep): the pod leaves the
    // endpoints, the preStop sleep lets that reach every client, then SIGTERM drains in-flight requests.
    load.removeEndpoint(1);
    await new Promise((r) => setTimeout(r, PRE_STOP_SLEEP_MS));
    await stack.stop('gateway-2');
    load.addEndpoint(1); // the new pod: routed once its readiness probe answers 200
    await stack.start('gateway-2');
    const before = load.perReplica()[1]!;
    await waitFor(() => load.perReplica()[1]! > before + 50, {
      message: 'the restarted replica takes traffic',
    });
    const report = await load.stop();
    t0.diagnostic(
      `load: sent ${report.sent}, per replica ${report.perReplica.join('/')}, failed ${report.failures.length}`,
    );
    assert.ok(report.sent > 100, `sent ${report.sent}`);
    assert.deepEqual(report.failures, [], `${report.failures.length} of ${report.sent} failed`);
  });
});
