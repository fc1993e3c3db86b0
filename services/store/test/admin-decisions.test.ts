/**
 * An admin's decision cannot be undone by the developer, and a user the key-manager disables
 * or deletes is out of the portal at once — against the REAL key-manager (child process), real
 * FerretDB and Kafka (issue 13 defects 1 and 2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, uniqueName, waitFor } from '@portico/testing';
import { OidcIdentityProvider } from '../src/identity/oidc.ts';
import { HttpKeyManagerClient } from '../src/keymanager/http.ts';
import type { Harness } from './harness.ts';
import { READ_MODEL_TOKEN, startHarness } from './harness.ts';
import type { RealKeyManager } from './key-manager.ts';
import {
  Browser,
  KM_ADMIN_TOKEN,
  PORTAL_ID,
  PORTAL_SECRET,
  startRealKeyManager,
  USERS,
} from './key-manager.ts';

describe('admin decisions and user revocation with the real key-manager', () => {
  let km: RealKeyManager;
  let h: Harness;
  let storeUrl: string;

  /** A signed-in browser session (cookie + CSRF token), as the portal uses it. */
  async function session(user: { username: string; password: string }) {
    const browser = new Browser();
    await browser.signIn(`${storeUrl}/auth/login?returnTo=/done`, user, `${storeUrl}/done`);
    const me = (await (await browser.fetch(`${storeUrl}/api/v1/me`)).json()) as { csrfToken: string };
    return async (method: string, path: string, body?: unknown) => {
      const res = await browser.fetch(`${storeUrl}${path}`, {
        method,
        headers: {
          'x-csrf-token': me.csrfToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) as never }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
  }

  async function kmAdmin(method: string, path: string, body?: unknown): Promise<number> {
    const res = await fetch(`${km.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${KM_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await res.text();
    return res.status;
  }

  before(async () => {
    const prefix = `${uniqueName('dec')}.`;
    const port = await freePort();
    storeUrl = `http://127.0.0.1:${port}`;
    km = await startRealKeyManager({ topicPrefix: prefix, redirectUri: `${storeUrl}/auth/callback` });
    h = await startHarness({
      port,
      topicPrefix: prefix,
      consume: false,
      env: { PUBLIC_URL: storeUrl },
      keyManager: new HttpKeyManagerClient({
        adminUrl: km.adminUrl,
        adminToken: KM_ADMIN_TOKEN,
        timeoutMs: 5000,
      }),
      identity: new OidcIdentityProvider({
        issuer: km.issuer,
        clientId: PORTAL_ID,
        clientSecret: PORTAL_SECRET,
        timeoutMs: 5000,
      }),
    });
  });
  after(async () => {
    await km?.stop();
    if (km && h)
      await h.conn
        .useDb(km.dbName)
        .dropDatabase()
        .catch(() => undefined);
    await h?.close();
  });

  it("an admin's block survives the developer unsubscribing and subscribing again; an unblocked pair comes back ACTIVE", async () => {
    const admin = await session(USERS.admin);
    const alice = await session(USERS.alice);
    const api = await admin('POST', '/api/v1/apis', {
      name: 'Blocky',
      version: '1.0.0',
      context: '/blocky/1.0.0',
      productionUrl: 'https://prod.example.com/blocky',
    });
    assert.equal(api.status, 201, JSON.stringify(api.body));
    const apiId = api.body.id as string;
    assert.equal(
      (await admin('POST', `/api/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' })).status,
      200,
    );
    const app = await alice('POST', '/api/v1/applications', { name: 'Sneaky' });
    assert.equal(app.status, 201);
    const sub = await alice('POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId,
      tier: 'Gold',
    });
    assert.equal(sub.status, 201);
    const blocked = await admin('PATCH', `/api/v1/subscriptions/${sub.body.id}`, { status: 'BLOCKED' });
    assert.equal(blocked.status, 200, JSON.stringify(blocked.body));

    assert.equal((await alice('DELETE', `/api/v1/subscriptions/${sub.body.id}`)).status, 204);
    const again = await alice('POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId,
      tier: 'Gold',
    });
    assert.equal(again.status, 201);
    assert.equal(again.body.status, 'BLOCKED', 'the block belongs to the application x API pair');
    const snapshot = await h.call('GET', '/internal/read-model', {
      token: READ_MODEL_TOKEN,
    });
    const seen = snapshot.body.subscriptions.find(
      (s: { subscriptionId: string }) => s.subscriptionId === again.body.id,
    );
    assert.equal(seen?.status, 'BLOCKED', 'the gateways are told BLOCKED');

    const unblocked = await admin('PATCH', `/api/v1/subscriptions/${again.body.id}`, { status: 'ACTIVE' });
    assert.equal(unblocked.status, 200);
    assert.equal((await alice('DELETE', `/api/v1/subscriptions/${again.body.id}`)).status, 204);
    const third = await alice('POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId,
      tier: 'Gold',
    });
    assert.equal(third.body.status, 'ACTIVE');
  });

  for (const [what, change] of [
    [
      'disabled',
      (name: string) => kmAdmin('PATCH', `/admin/userstores/PRIMARY/users/${name}`, { enabled: false }),
    ],
    ['deleted', (name: string) => kmAdmin('DELETE', `/admin/userstores/PRIMARY/users/${name}`)],
  ] as const) {
    it(`a user ${what} at the key-manager loses the portal session at once (every store replica reads the revocation)`, async () => {
      const name = `dev-${what}-${uniqueName('u').slice(-6)}`;
      const password = 'a-password-123456';
      assert.equal(
        await kmAdmin('POST', '/admin/userstores/PRIMARY/users', {
          username: name,
          password,
          roles: ['developer'],
        }),
        201,
      );
      const user = await session({ username: `PRIMARY/${name}`, password });
      assert.equal((await user('GET', '/api/v1/me')).status, 200);
      assert.equal((await user('POST', '/api/v1/applications', { name: 'Before' })).status, 201);
      assert.ok([200, 204].includes(await change(name)));
      await waitFor(async () => (await user('GET', '/api/v1/me')).status === 401, {
        timeoutMs: 20_000,
        intervalMs: 200,
        message: `the ${what} user's session still works`,
      });
      assert.equal((await user('POST', '/api/v1/applications', { name: 'After' })).status, 401);
    });
  }
});
