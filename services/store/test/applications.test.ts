import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, BOB, publishedApi, startHarness } from './harness.ts';

describe('applications, subscriptions and keys (key-manager twin)', () => {
  let h: Harness;
  let km: MemoryKeyManager;
  let admin: string;
  let alice: string;
  let bob: string;
  let apiId: string;

  before(async () => {
    km = new MemoryKeyManager();
    h = await startHarness({ keyManager: km, consume: false });
    admin = h.user(ADMIN, ['developer', 'admin']);
    alice = h.user(ALICE);
    bob = h.user(BOB);
    apiId = await publishedApi(h, admin);
  });
  after(() => h.close());

  it('creates an application owned by the caller with a prefixed unguessable id', async () => {
    const res = await h.call('POST', '/api/v1/applications', {
      token: alice,
      body: { name: 'Mobile', description: 'phone app', tier: 'Gold' },
    });
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^app_[0-9a-f]{32}$/);
    assert.equal(res.body.owner, ALICE);
    assert.equal(res.body.status, 'ACTIVE');
    assert.deepEqual(res.body.keys, []);
    const dup = await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'mobile' } });
    assert.equal(dup.status, 409);
    // another developer may use the same name
    assert.equal(
      (await h.call('POST', '/api/v1/applications', { token: bob, body: { name: 'Mobile' } })).status,
      201,
    );
    const unknownTier = await h.call('POST', '/api/v1/applications', {
      token: alice,
      body: { name: 'X', tier: 'Nope' },
    });
    assert.equal(unknownTier.status, 400);
    assert.equal(unknownTier.body.error.code, 'unknown_tier');
  });

  it('subscribes with a tier, once per application and API, only to PUBLISHED APIs', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Subs' } })).body;
    const sub = await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app.id, apiId, tier: 'Gold' },
    });
    assert.equal(sub.status, 201);
    assert.match(sub.body.id, /^sub_[0-9a-f]{32}$/);
    assert.equal(sub.body.status, 'ACTIVE');
    const again = await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app.id, apiId, tier: 'Silver' },
    });
    assert.equal(again.status, 409);
    // a second application gives a second SLA level on the same API
    const app2 = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Subs2' } }))
      .body;
    const sub2 = await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app2.id, apiId, tier: 'Bronze' },
    });
    assert.equal(sub2.status, 201);
    // deprecated: no new subscriptions
    const other = await publishedApi(h, admin, 'Deprecated', '1.0.0');
    await h.call('POST', `/api/v1/apis/${other}/lifecycle`, { token: admin, body: { state: 'DEPRECATED' } });
    const dep = await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app.id, apiId: other, tier: 'Gold' },
    });
    assert.equal(dep.status, 409);
    assert.equal(dep.body.error.code, 'api_not_published');
    // change tier, then unsubscribe
    const patched = await h.call('PATCH', `/api/v1/subscriptions/${sub.body.id}`, {
      token: alice,
      body: { tier: 'Silver' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.tier, 'Silver');
    const block = await h.call('PATCH', `/api/v1/subscriptions/${sub.body.id}`, {
      token: alice,
      body: { status: 'BLOCKED' },
    });
    assert.equal(block.status, 400, 'developers cannot block');
    const list = await h.call('GET', `/api/v1/subscriptions?applicationId=${app.id}`, { token: alice });
    assert.equal(list.body.items.length, 1);
    assert.equal(
      (await h.call('DELETE', `/api/v1/subscriptions/${sub.body.id}`, { token: alice })).status,
      204,
    );
    assert.equal((await h.call('GET', `/api/v1/subscriptions/${sub.body.id}`, { token: alice })).status, 404);
    // re-subscribing after removal works (tombstones do not block)
    const re = await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app.id, apiId, tier: 'Gold' },
    });
    assert.equal(re.status, 201);
  });

  it('generates keys with normalized allowed domains and a validity; the secret is shown once', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Keys' } })).body;
    const gen = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
      token: alice,
      body: {
        allowedDomains: ['App.Example.com', '*.example.org'],
        validitySeconds: 7200,
        tokenFormat: 'jwt',
      },
    });
    assert.equal(gen.status, 201, JSON.stringify(gen.body));
    assert.equal(gen.headers.get('cache-control'), 'no-store');
    assert.deepEqual(gen.body.allowedDomains, ['app.example.com', '*.example.org']);
    assert.equal(gen.body.validitySeconds, 7200);
    assert.equal(gen.body.tokenFormat, 'jwt');
    assert.ok(gen.body.consumerSecret.length > 10);
    const client = km.clients.get(gen.body.consumerKey)!;
    assert.equal(client.applicationId, app.id);
    assert.equal(client.keyType, 'PRODUCTION');
    assert.equal(client.validitySeconds, 7200);
    assert.equal(client.tokenFormat, 'jwt');
    // never again: not in the key, not in the application
    const key = await h.call('GET', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
    assert.equal(key.body.consumerSecret, undefined);
    const appNow = await h.call('GET', `/api/v1/applications/${app.id}`, { token: alice });
    assert.equal(JSON.stringify(appNow.body).includes(gen.body.consumerSecret), false);
    const raw = JSON.stringify(
      await h.store.models.applications.collection.findOne({ _id: app.id } as never),
    );
    assert.equal(raw.includes(gen.body.consumerSecret), false, 'the secret is not stored');
    // a second generation conflicts; SANDBOX is separate
    const again = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice });
    assert.equal(again.status, 409);
    const sandbox = await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX`, { token: alice });
    assert.equal(sandbox.status, 201);
    assert.deepEqual(sandbox.body.allowedDomains, []);
    assert.equal(sandbox.body.validitySeconds, 3600);
    const list = await h.call('GET', `/api/v1/applications/${app.id}/keys`, { token: alice });
    assert.deepEqual(
      list.body.items.map((k: { keyType: string }) => k.keyType),
      ['PRODUCTION', 'SANDBOX'],
    );
  });

  it('keeps validity within the administrator bounds (negative = never expires)', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Validity' } }))
      .body;
    for (const validitySeconds of [0, 10, 400 * 24 * 3600]) {
      const res = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
        token: alice,
        body: { validitySeconds },
      });
      assert.equal(res.status, 400, String(validitySeconds));
      assert.equal(res.body.error.code, 'invalid_validity');
    }
    const never = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
      token: alice,
      body: { validitySeconds: -5 },
    });
    assert.equal(never.status, 201);
    assert.equal(never.body.validitySeconds, -1);
    const patched = await h.call('PATCH', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
      token: alice,
      body: { validitySeconds: 600, allowedDomains: ['ALL'] },
    });
    assert.equal(patched.status, 200);
    assert.equal(km.clients.get(never.body.consumerKey)!.validitySeconds, 600);
  });

  it('regenerates the token (old one revoked), the secret, and revokes keys', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Tokens' } }))
      .body;
    const gen = (await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice }))
      .body;
    const t1 = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION/token`, { token: alice });
    assert.equal(t1.status, 200);
    assert.equal(t1.body.expiresIn, 3600);
    const t2 = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION/token`, {
      token: alice,
      body: { validitySeconds: 120 },
    });
    assert.equal(t2.body.expiresIn, 120);
    assert.equal(km.isActive(t1.body.accessToken), false, 'regenerating revokes the old token');
    assert.equal(km.isActive(t2.body.accessToken), true);
    const secret = await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION/secret`, {
      token: alice,
    });
    assert.equal(secret.status, 200);
    assert.ok(secret.body.consumerSecret);
    assert.equal(km.isActive(t2.body.accessToken), false, 'a new secret revokes the tokens');
    const t3 = (
      await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION/token`, { token: alice })
    ).body;
    assert.equal(
      (await h.call('DELETE', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice })).status,
      204,
    );
    assert.equal(km.clients.has(gen.consumerKey), false);
    assert.equal(km.isActive(t3.accessToken), false);
    assert.equal(
      (await h.call('GET', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice })).status,
      404,
    );
  });

  it('deleting an application deletes its clients (all tokens revoked) and its subscriptions', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Doomed' } }))
      .body;
    const sub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: app.id, apiId, tier: 'Gold' },
      })
    ).body;
    const prod = (await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice }))
      .body;
    const sand = (await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX`, { token: alice })).body;
    const tp = (
      await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION/token`, { token: alice })
    ).body;
    const ts = (await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX/token`, { token: alice }))
      .body;
    assert.equal((await h.call('DELETE', `/api/v1/applications/${app.id}`, { token: alice })).status, 204);
    assert.equal(km.clients.has(prod.consumerKey), false);
    assert.equal(km.clients.has(sand.consumerKey), false);
    assert.equal(km.isActive(tp.accessToken), false);
    assert.equal(km.isActive(ts.accessToken), false);
    assert.equal((await h.call('GET', `/api/v1/applications/${app.id}`, { token: alice })).status, 404);
    assert.equal((await h.call('GET', `/api/v1/subscriptions/${sub.id}`, { token: alice })).status, 404);
    // the name can be used again
    assert.equal(
      (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Doomed' } })).status,
      201,
    );
  });

  it('key-manager down: 503 with Retry-After, nothing half-written; deletion resumes when it is back', async () => {
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Outage' } }))
      .body;
    const prod = (await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, { token: alice }))
      .body;
    km.down = true;
    try {
      const gen = await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX`, { token: alice });
      assert.equal(gen.status, 503);
      assert.equal(gen.headers.get('retry-after'), '5');
      const del = await h.call('DELETE', `/api/v1/applications/${app.id}`, { token: alice });
      assert.equal(del.status, 503);
    } finally {
      km.down = false;
    }
    // the SANDBOX slot was freed: no half-generated key
    const doc = (await h.store.models.applications.collection.findOne({
      _id: app.id,
    } as never)) as unknown as {
      keys: Record<string, unknown>;
      deleting: boolean;
    };
    assert.equal(doc.keys['SANDBOX'], undefined);
    assert.equal(doc.deleting, true);
    assert.equal(km.clients.has(prod.consumerKey), true);
    // a retried DELETE finishes the job
    assert.equal((await h.call('DELETE', `/api/v1/applications/${app.id}`, { token: alice })).status, 204);
    assert.equal(km.clients.has(prod.consumerKey), false);
  });
});
