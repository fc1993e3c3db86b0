/** Ownership, mass assignment, bad input: the cases an attacker tries first. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, BOB, publishedApi, READ_MODEL_TOKEN, startHarness } from './harness.ts';

describe('security', () => {
  let h: Harness;
  let km: MemoryKeyManager;
  let admin: string;
  let alice: string;
  let bob: string;
  let apiId: string;
  let aliceApp: { id: string };
  let aliceSub: { id: string };
  let aliceKey: { consumerKey: string };

  before(async () => {
    km = new MemoryKeyManager();
    h = await startHarness({ keyManager: km, consume: false });
    admin = h.user(ADMIN, ['developer', 'admin']);
    alice = h.user(ALICE);
    bob = h.user(BOB);
    apiId = await publishedApi(h, admin);
    aliceApp = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Private' } }))
      .body;
    aliceSub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: aliceApp.id, apiId, tier: 'Gold' },
      })
    ).body;
    aliceKey = (await h.call('POST', `/api/v1/applications/${aliceApp.id}/keys/PRODUCTION`, { token: alice }))
      .body;
  });
  after(() => h.close());

  it("answers 404 to every operation on another developer's ids, with no side effect", async () => {
    const snapshot = async () => ({
      // (the outbox array drains as the relay publishes: not part of the entity's state)
      app: await h.store.models.applications.collection.findOne({ _id: aliceApp.id } as never, {
        projection: { outbox: 0 },
      }),
      sub: await h.store.models.subscriptions.collection.findOne({ _id: aliceSub.id } as never, {
        projection: { outbox: 0 },
      }),
      clients: [...km.clients.keys()].sort(),
      tokens: [...km.clients.values()].map((c) => c.tokens.length),
    });
    const before = await snapshot();
    const a = `/api/v1/applications/${aliceApp.id}`;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', a],
      ['PATCH', a, { name: 'pwned' }],
      ['DELETE', a],
      ['GET', `${a}/keys`],
      ['GET', `${a}/keys/PRODUCTION`],
      ['POST', `${a}/keys/SANDBOX`, {}],
      ['PATCH', `${a}/keys/PRODUCTION`, { allowedDomains: ['evil.example'] }],
      ['DELETE', `${a}/keys/PRODUCTION`],
      ['POST', `${a}/keys/PRODUCTION/token`, {}],
      ['POST', `${a}/keys/PRODUCTION/secret`],
      ['GET', `/api/v1/subscriptions/${aliceSub.id}`],
      ['PATCH', `/api/v1/subscriptions/${aliceSub.id}`, { tier: 'Bronze' }],
      ['DELETE', `/api/v1/subscriptions/${aliceSub.id}`],
      ['POST', '/api/v1/subscriptions', { applicationId: aliceApp.id, apiId, tier: 'Gold' }],
    ];
    for (const [method, path, body] of attempts) {
      const res = await h.call(method, path, { token: bob, body });
      assert.equal(res.status, 404, `${method} ${path} → ${res.status}`);
      assert.equal(JSON.stringify(res.body).includes(ALICE), false);
    }
    const list = await h.call('GET', '/api/v1/applications', { token: bob });
    assert.equal(
      list.body.items.some((x: { id: string }) => x.id === aliceApp.id),
      false,
    );
    const subs = await h.call('GET', `/api/v1/subscriptions?applicationId=${aliceApp.id}`, { token: bob });
    assert.deepEqual(subs.body.items, []);
    assert.deepEqual(await snapshot(), before, 'nothing changed');
    // an id that does not even look like one is just as unknown
    assert.equal((await h.call('GET', '/api/v1/applications/app_xyz', { token: bob })).status, 404);
    assert.equal((await h.call('GET', '/api/v1/applications/%24where', { token: bob })).status, 404);
    // admins see everything
    assert.equal((await h.call('GET', a, { token: admin })).status, 200);
  });

  it('rejects mass assignment of owner, status, ids and client ids', async () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['POST', '/api/v1/applications', { name: 'M1', owner: BOB }],
      ['POST', '/api/v1/applications', { name: 'M2', status: 'BLOCKED' }],
      ['POST', '/api/v1/applications', { name: 'M3', id: 'app_00000000000000000000000000000000' }],
      ['PATCH', `/api/v1/applications/${aliceApp.id}`, { owner: BOB }],
      ['POST', `/api/v1/applications/${aliceApp.id}/keys/SANDBOX`, { clientId: 'mine' }],
      ['PATCH', `/api/v1/applications/${aliceApp.id}/keys/PRODUCTION`, { consumerKey: 'x' }],
      [
        'POST',
        '/api/v1/subscriptions',
        { applicationId: aliceApp.id, apiId, tier: 'Gold', status: 'ACTIVE' },
      ],
    ];
    for (const [method, path, body] of cases) {
      const res = await h.call(method, path, { token: alice, body });
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.error.code, 'validation_failed');
    }
    const app = (await h.call('GET', `/api/v1/applications/${aliceApp.id}`, { token: alice })).body;
    assert.equal(app.owner, ALICE);
    assert.equal(app.keys.length, 1);
    assert.equal(app.keys[0].consumerKey, aliceKey.consumerKey);
  });

  it('rejects invalid allowed domains with a clear message and keeps the key unchanged', async () => {
    const res = await h.call('PATCH', `/api/v1/applications/${aliceApp.id}/keys/PRODUCTION`, {
      token: alice,
      body: { allowedDomains: ['good.example.com', 'https://bad.example.com/x', 'a.*.example.com'] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_allowed_domains');
    assert.match(res.body.error.message, /https:\/\/bad\.example\.com\/x/);
    assert.match(res.body.error.message, /first label/);
    const key = (await h.call('GET', `/api/v1/applications/${aliceApp.id}/keys/PRODUCTION`, { token: alice }))
      .body;
    assert.deepEqual(key.allowedDomains, []);
  });

  it('answers malformed, mistyped and oversized bodies with 4xx, never 500', async () => {
    const malformed = await h.call('POST', '/api/v1/applications', {
      token: alice,
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_json');
    const wrongType = await h.call('POST', '/api/v1/applications', {
      token: alice,
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(wrongType.status, 415);
    const huge = await h.call('POST', '/api/v1/applications', {
      token: alice,
      raw: JSON.stringify({ name: 'x', description: 'a'.repeat(200_000) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 413);
    const notObject = await h.call('POST', '/api/v1/applications', { token: alice, body: ['x'] });
    assert.equal(notObject.status, 400);
    const missing = await h.call('POST', '/api/v1/applications', { token: alice });
    assert.equal(missing.status, 400);
    const wrongTypes = await h.call('POST', '/api/v1/applications', {
      token: alice,
      body: { name: { $gt: '' } },
    });
    assert.equal(wrongTypes.status, 400);
    const longName = await h.call('POST', '/api/v1/applications', {
      token: alice,
      body: { name: 'n'.repeat(201) },
    });
    assert.equal(longName.status, 400);
    const badKeyType = await h.call('POST', `/api/v1/applications/${aliceApp.id}/keys/STAGING`, {
      token: alice,
    });
    assert.equal(badKeyType.status, 404);
  });

  it('requires authentication, rejects bad tokens, and guards the read model', async () => {
    assert.equal((await h.call('GET', '/api/v1/applications')).status, 401);
    const bad = await h.call('GET', '/api/v1/applications', { token: 'not-a-known-token' });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /invalid_token/);
    const malformed = await h.call('GET', '/api/v1/applications', {
      headers: { authorization: 'Basic abc' },
    });
    assert.equal(malformed.status, 401);
    assert.equal((await h.call('GET', '/internal/read-model')).status, 401);
    assert.equal((await h.call('GET', '/internal/read-model', { token: alice })).status, 401);
    assert.equal((await h.call('GET', '/internal/read-model', { token: READ_MODEL_TOKEN })).status, 200);
  });
});
