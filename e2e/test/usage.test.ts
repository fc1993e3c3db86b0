/**
 * Usage analytics end to end (issue 15): a known mix of requests through both gateway replicas
 * of a stack started by the scripts of `make up`, read back from the store's usage API. One
 * replica is killed with SIGKILL after its counts were published: what it published stays,
 * nothing is counted twice. (A replica killed mid-window loses that window: at most
 * ANALYTICS_FLUSH_INTERVAL_MS of its requests, docs/adr/0080; here it had no traffic left.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@portico/testing';
import * as oidcClient from 'openid-client';
import type { DemoKeys, Stack, StoreSession } from '../src/index.ts';
import { callApi, DEMO, oauthClient, seedDemo, startStack, storeSession } from '../src/index.ts';

const DOMAIN = { header: DEMO.domainHeader, value: DEMO.allowedDomain };
const SEARCH = `${DEMO.apiContext}/search.atom?q=cat`;
const FAILING = `${DEMO.apiContext}/status/503`;

let stack: Stack;
let keys: DemoKeys;
let developer: StoreSession;

before(async () => {
  stack = await startStack({
    env: { ANALYTICS_FLUSH_INTERVAL_MS: '5000', USAGE_ROLLUP_INTERVAL_MS: '2000' },
  });
  const credentials = { username: DEMO.developer, password: stack.secrets['DEMO_DEVELOPER_PASSWORD']! };
  keys = await seedDemo({
    storeUrl: stack.storeUrl,
    keyManagerUrl: stack.keyManagerUrl,
    developer: credentials,
    stateFile: `${stack.runDir}/demo-keys.json`,
  });
  developer = await storeSession(stack.storeUrl, credentials);
});
after(async () => {
  await stack?.close();
});

interface Totals {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  throttled: number;
}

describe('usage: the gateways count, the store folds, the API answers', () => {
  it('a known mix through two replicas is read back exactly, and survives SIGKILL of one replica after it published', async () => {
    const token = async (id: string, secret: string) =>
      (await oidcClient.clientCredentialsGrant(await oauthClient(stack.keyManagerUrl, id, secret)))
        .access_token;
    const prod = await token(keys.production.clientId, keys.production.clientSecret);
    const sandbox = await token(keys.sandbox.clientId, keys.sandbox.clientSecret);
    const [a, b] = stack.gateways as [string, string];
    const send = async (
      gw: string,
      n: number,
      path: string,
      tok: string | undefined,
      expect: number,
      domain?: typeof DOMAIN,
    ) => {
      for (let i = 0; i < n; i += 1) {
        const res = await callApi(gw, path, tok, domain);
        assert.equal(res.status, expect, `${gw}${path}: ${res.status} ${res.body.slice(0, 120)}`);
      }
    };
    const from = new Date(Date.now() - 120_000).toISOString();
    await send(a, 6, SEARCH, sandbox, 200);
    await send(a, 2, SEARCH, prod, 200, DOMAIN);
    await send(a, 3, SEARCH, prod, 403); // the production key needs its domain header
    await send(a, 2, FAILING, sandbox, 503);
    await send(a, 2, SEARCH, 'not-a-token', 401); // no application: not in its usage
    await send(b, 4, SEARCH, sandbox, 200);
    await send(b, 1, SEARCH, prod, 403);

    const usage = async (query = '') => {
      const to = new Date(Date.now() + 120_000).toISOString();
      const res = await developer.call(
        'GET',
        `/api/v1/applications/${keys.applicationId}/usage?granularity=minute&from=${from}&to=${to}${query}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { totals: Totals; lastUsed: Array<{ clientId: string }> };
    };
    const reaches = (requests: number, query = '') =>
      waitFor(
        async () => {
          const u = await usage(query);
          return u.totals.requests >= requests ? u : undefined;
        },
        { timeoutMs: 70_000, intervalMs: 1000, message: `usage never reached ${requests} requests` },
      );

    const first = await reaches(18);
    assert.deepEqual(pick(first.totals), { requests: 18, errors4xx: 4, errors5xx: 2, throttled: 0 });
    assert.equal((await usage('&keyType=SANDBOX')).totals.requests, 12);
    assert.deepEqual(
      first.lastUsed.map((u) => u.clientId).sort(),
      [keys.production.clientId, keys.sandbox.clientId].sort(),
    );

    // Replica 2 published its window (its 5 requests are in the totals): kill it without a drain.
    const pid = stack.pid('gateway-2');
    assert.ok(pid, 'gateway-2 pid');
    process.kill(pid, 'SIGKILL');
    await send(a, 3, SEARCH, sandbox, 200);
    const after = await reaches(21);
    // Two more windows: a batch folded twice would show now.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.deepEqual(pick((await usage()).totals), {
      requests: 21,
      errors4xx: 4,
      errors5xx: 2,
      throttled: 0,
    });
    assert.equal(after.totals.requests, 21);
    assert.ok(b);
  });
});

function pick(t: Totals): Totals {
  return { requests: t.requests, errors4xx: t.errors4xx, errors5xx: t.errors5xx, throttled: t.throttled };
}
