/**
 * Two key-managers and two stores behind one address (PORTICO_REPLICAS=2: a local nginx on
 * their usual ports, scripts/services.sh), as a platform team runs them: sign-in, keys and
 * tokens work whichever replica answers each step, and SIGKILL of a key-manager replica in the
 * middle of revocations loses no revocation that was answered 200.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@portico/testing';
import * as oidcClient from 'openid-client';
import type { DemoKeys, Stack } from '../src/index.ts';
import { callApi, DEMO, oauthClient, seedDemo, startStack } from '../src/index.ts';

const SEARCH = `${DEMO.apiContext}/search.atom?q=cat`;
let stack: Stack;
let keys: DemoKeys;

before(async () => {
  stack = await startStack({ env: { PORTICO_REPLICAS: '2' } });
  // The demo seeding signs the developer in through the store and the key-manager, both behind
  // the balancer: consecutive requests of one sign-in land on different replicas.
  keys = await seedDemo({
    storeUrl: stack.storeUrl,
    keyManagerUrl: stack.keyManagerUrl,
    developer: { username: DEMO.developer, password: stack.secrets['DEMO_DEVELOPER_PASSWORD']! },
    stateFile: `${stack.runDir}/demo-keys.json`,
  });
});
after(async () => {
  await stack?.close();
});

describe('replicated key-manager and store behind one address', () => {
  it('both replicas of each serve: every replica answers /readyz and the seeding worked through the balancer', async () => {
    for (const url of [
      ...(stack.env['PORTICO_KEY_MANAGER_REPLICA_URLS'] ?? '').split(','),
      ...(stack.env['PORTICO_STORE_REPLICA_URLS'] ?? '').split(','),
    ]) {
      assert.ok(url, 'replica URLs in services.sh env');
      assert.equal((await fetch(`${url}/readyz`)).status, 200, url);
    }
    assert.ok(keys.sandbox.clientId);
  });

  it('SIGKILL of a key-manager replica during revocations: every revocation answered 200 is refused by both gateways; tokens keep coming', async () => {
    const client = await oauthClient(stack.keyManagerUrl, keys.sandbox.clientId, keys.sandbox.clientSecret);
    const tokens: string[] = [];
    for (let i = 0; i < 12; i += 1)
      tokens.push((await oidcClient.clientCredentialsGrant(client)).access_token);
    for (const t of tokens.slice(0, 2)) {
      for (const gw of stack.gateways) assert.equal((await callApi(gw, SEARCH, t)).status, 200);
    }
    const revoked: string[] = [];
    const failed: string[] = [];
    for (const [i, token] of tokens.entries()) {
      if (i === 6) {
        const pid = stack.pid('key-manager');
        assert.ok(pid);
        process.kill(pid, 'SIGKILL');
      }
      try {
        await oidcClient.tokenRevocation(client, token);
        revoked.push(token);
      } catch {
        failed.push(token); // in flight at the killed replica: the client was told it failed
      }
    }
    assert.ok(revoked.length >= tokens.length - 2, `revoked ${revoked.length} of ${tokens.length}`);
    for (const token of revoked) {
      await waitFor(
        async () => {
          const answers = await Promise.all(stack.gateways.map((gw) => callApi(gw, SEARCH, token)));
          return answers.every((a) => a.status === 401);
        },
        { timeoutMs: 20_000, intervalMs: 200, message: 'a revocation answered 200 was lost' },
      );
    }
    const fresh = (await oidcClient.clientCredentialsGrant(client)).access_token;
    assert.equal((await callApi(stack.gateways[0]!, SEARCH, fresh)).status, 200, 'the other replica issues');
  });
});
