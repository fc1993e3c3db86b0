/** Crash and outage recovery of the multi-step operations that have no transaction. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, publishedApi, startHarness } from './harness.ts';

describe('recovery of interrupted operations', () => {
  let h: Harness;
  let km: MemoryKeyManager;
  let alice: string;
  let admin: string;

  before(async () => {
    km = new MemoryKeyManager();
    h = await startHarness({ keyManager: km, consume: false, env: { KEY_PENDING_TIMEOUT_SECONDS: '30' } });
    alice = h.user(ALICE);
    admin = h.user(ADMIN, ['developer', 'admin']);
  });
  after(() => h.close());

  it('takes over a key slot abandoned by a crash, but not a fresh one', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Crashed' } }))
      .body;
    const pending = (since: Date) => ({
      state: 'PENDING',
      pendingSince: since,
      allowedDomains: [],
      validitySeconds: 3600,
      tokenFormat: 'opaque',
      grantTypes: ['client_credentials'],
      callbackUrls: [],
    });
    const apps = h.store.models.applications.collection;
    await apps.updateOne({ _id: app.id } as never, { $set: { 'keys.PRODUCTION': pending(new Date()) } });
    const busy = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
    assert.equal(busy.status, 409);
    await apps.updateOne({ _id: app.id } as never, {
      $set: { 'keys.PRODUCTION': pending(new Date(Date.now() - 60_000)) },
    });
    const taken = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
    assert.equal(taken.status, 201);
  });

  it('revoking keys while the key-manager is down withdraws them at once and deletes the client later', async () => {
    const app = (
      await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Revoke later' } })
    ).body;
    const key = (await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice }))
      .body;
    km.down = true;
    try {
      const res = await h.call('DELETE', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
      assert.equal(res.status, 503);
      const gone = await h.call('GET', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
      assert.equal(gone.status, 404, 'withdrawn from the application (and gateways) at once');
      assert.equal(km.clients.has(key.consumerKey), true, 'still at the key-manager for now');
    } finally {
      km.down = false;
    }
    await h.store.applications.reconcile();
    assert.equal(km.clients.has(key.consumerKey), false, 'the reconciler deleted it');
    const doc = (await h.store.models.applications.collection.findOne({
      _id: app.id,
    } as never)) as unknown as {
      orphanClients: string[];
    };
    assert.deepEqual(doc.orphanClients, []);
  });

  it('finishes an application deletion interrupted by an outage without a retry from the user', async () => {
    const apiId = await publishedApi(h, admin, 'Recover');
    const app = (
      await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Half deleted' } })
    ).body;
    const sub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: app.id, apiId, tier: 'Gold' },
      })
    ).body;
    const key = (await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX`, { token: alice })).body;
    km.down = true;
    try {
      assert.equal((await h.call('DELETE', `/api/v1/applications/${app.id}`, { token: alice })).status, 503);
      // while deleting, the application refuses changes
      const blocked = await h.call('PATCH', `/api/v1/applications/${app.id}`, {
        token: alice,
        body: { name: 'x' },
      });
      assert.equal(blocked.status, 409);
      const shown = await h.call('GET', `/api/v1/applications/${app.id}`, { token: alice });
      assert.equal(shown.body.status, 'DELETING');
    } finally {
      km.down = false;
    }
    await h.store.applications.reconcile();
    assert.equal(km.clients.has(key.consumerKey), false);
    assert.equal((await h.call('GET', `/api/v1/applications/${app.id}`, { token: alice })).status, 404);
    assert.equal((await h.call('GET', `/api/v1/subscriptions/${sub.id}`, { token: alice })).status, 404);
  });

  it('keeps an API with subscriptions from being deleted, and serves its definition', async () => {
    const created = await h.call('POST', '/api/v1/apis', {
      token: admin,
      body: {
        name: 'Defined',
        version: '1.0.0',
        context: '/defined/1.0.0',
        productionUrl: 'https://defined.example.com',
        definition: { openapi: '3.1.0', paths: { '/x': { $ref: '#/components/pathItems/x' } } },
      },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.hasDefinition, true);
    const def = await h.call('GET', `/api/v1/apis/${created.body.id}/definition`, { token: admin });
    assert.equal(def.status, 200);
    assert.equal(def.body.paths['/x'].$ref, '#/components/pathItems/x');
    await h.call('POST', `/api/v1/apis/${created.body.id}/lifecycle`, {
      token: admin,
      body: { state: 'PUBLISHED' },
    });
    const app = (
      await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'User of defined' } })
    ).body;
    const sub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: app.id, apiId: created.body.id, tier: 'Bronze' },
      })
    ).body;
    const refused = await h.call('DELETE', `/api/v1/apis/${created.body.id}`, { token: admin });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'api_in_use');
    await h.call('DELETE', `/api/v1/subscriptions/${sub.id}`, { token: alice });
    assert.equal((await h.call('DELETE', `/api/v1/apis/${created.body.id}`, { token: admin })).status, 204);
    assert.equal((await h.call('GET', `/api/v1/apis/${created.body.id}`, { token: admin })).status, 404);
  });

  it('lets only one of two concurrent key generations create a client', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Racy' } })).body;
    const before = km.clients.size;
    const results = await Promise.all(
      [1, 2, 3].map(() => h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
    assert.equal(km.clients.size, before + 1);
  });

  it('lets admins block a subscription (and developers see it blocked)', async () => {
    const apiId = await publishedApi(h, admin, 'Blockable');
    const app = (
      await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Blocked one' } })
    ).body;
    const sub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: app.id, apiId, tier: 'Gold' },
      })
    ).body;
    const blocked = await h.call('PATCH', `/api/v1/subscriptions/${sub.id}`, {
      token: admin,
      body: { status: 'BLOCKED' },
    });
    assert.equal(blocked.status, 200);
    assert.equal(
      (await h.call('GET', `/api/v1/subscriptions/${sub.id}`, { token: alice })).body.status,
      'BLOCKED',
    );
  });
});
