/**
 * Grant types and callback URLs of application keys, against the REAL key-manager: the store
 * applies the same rule (libs/contracts key-grants.ts) before it writes anything, so what it
 * accepts the key-manager accepts, and what it refuses is a 400 with the field named, with no
 * client created at the key-manager and no key slot left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueName } from '@portico/testing';
import { HttpKeyManagerClient } from '../src/keymanager/http.ts';
import type { Harness } from './harness.ts';
import { startHarness } from './harness.ts';
import type { RealKeyManager } from './key-manager.ts';
import { KM_ADMIN_TOKEN, startRealKeyManager } from './key-manager.ts';

const CB = 'https://app.example.com/cb';

describe('key grant types and callback URLs: one rule in the store and the key-manager', () => {
  let km: RealKeyManager;
  let h: Harness;
  let alice: string;
  let kmClient: HttpKeyManagerClient;

  before(async () => {
    const prefix = `${uniqueName('kg')}.`;
    km = await startRealKeyManager({ topicPrefix: prefix, redirectUri: 'http://127.0.0.1:9/auth/callback' });
    kmClient = new HttpKeyManagerClient({
      adminUrl: km.adminUrl,
      adminToken: KM_ADMIN_TOKEN,
      timeoutMs: 5000,
    });
    h = await startHarness({ topicPrefix: prefix, consume: false, keyManager: kmClient });
    alice = h.user('alice');
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

  const kmClients = () => h.conn.useDb(km.dbName).collection('clients').countDocuments();
  const newApp = async (name: string) =>
    (await h.call('POST', '/api/v1/applications', { token: alice, body: { name } })).body as { id: string };
  const keysPath = (appId: string) => `/api/v1/applications/${appId}/keys/PRODUCTION`;

  it('refuses what the key-manager would refuse with 400, the field named, before anything is written', async () => {
    const app = await newApp('Grants refused');
    const before = await kmClients();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      // the store used to accept these and then got them refused by the key-manager
      [
        { grantTypes: ['authorization_code'], callbackUrls: ['http://app.example.com/cb'] },
        'invalid_callback_url',
        'callbackUrls.0',
      ],
      [
        { grantTypes: ['authorization_code'], callbackUrls: [CB, `${CB}#fragment`] },
        'invalid_callback_url',
        'callbackUrls.1',
      ],
      [
        { grantTypes: ['authorization_code'], callbackUrls: ['https://user:pw@app.example.com/cb'] },
        'invalid_callback_url',
        'callbackUrls.0',
      ],
      [
        { grantTypes: ['authorization_code'], callbackUrls: ['http://localhost.evil.example/cb'] },
        'invalid_callback_url',
        'callbackUrls.0',
      ],
      [{ grantTypes: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] }, 'validation_failed', 'grantTypes.0'],
      // combinations
      [{ grantTypes: ['refresh_token'] }, 'invalid_grant_types', 'grantTypes'],
      [{ grantTypes: ['client_credentials', 'refresh_token'] }, 'invalid_grant_types', 'grantTypes'],
      [{ grantTypes: ['authorization_code', 'refresh_token'] }, 'callback_required', 'callbackUrls'],
    ];
    for (const [body, code, path] of cases) {
      const res = await h.call('POST', keysPath(app.id), { token: alice, body });
      assert.equal(res.status, 400, `${JSON.stringify(body)} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, JSON.stringify(res.body));
      assert.ok(
        (res.body.error.details as Array<{ path: string }>).some((d) => d.path === path),
        JSON.stringify(res.body.error),
      );
      if (code !== 'validation_failed')
        assert.match(res.body.error.message, /^(grantTypes|callbackUrls)(\[\d+\])?: /);
    }
    assert.equal(await kmClients(), before, 'no client was created at the key-manager');
    const doc = (await h.store.models.applications.collection.findOne({ _id: app.id } as never)) as {
      keys: Record<string, unknown>;
    } | null;
    assert.deepEqual(doc?.keys, {}, 'no key slot, not even PENDING');
  });

  it('what it accepts the key-manager accepts: loopback http, https, refresh_token with a grant that issues it', async () => {
    const app = await newApp('Grants accepted');
    const settings = {
      grantTypes: ['authorization_code', 'refresh_token', 'password'],
      callbackUrls: ['http://127.0.0.1:8080/cb', 'http://[::1]/cb', 'http://localhost:3000/cb', CB],
    };
    const res = await h.call('POST', keysPath(app.id), { token: alice, body: settings });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.grantTypes, settings.grantTypes);
    const client = await kmClient.getClient(res.body.consumerKey);
    assert.deepEqual(client.grantTypes, settings.grantTypes);
    assert.deepEqual(client.redirectUris, settings.callbackUrls);
  });

  it('an update the rule refuses is 400 and changes nothing here or at the key-manager', async () => {
    const app = await newApp('Grants updated');
    const gen = await h.call('POST', keysPath(app.id), {
      token: alice,
      body: { grantTypes: ['authorization_code'], callbackUrls: [CB] },
    });
    assert.equal(gen.status, 201);
    for (const [body, code] of [
      [{ callbackUrls: [] }, 'callback_required'],
      [{ callbackUrls: ['http://app.example.com/cb'] }, 'invalid_callback_url'],
      [{ grantTypes: ['refresh_token'] }, 'invalid_grant_types'],
    ] as const) {
      const res = await h.call('PATCH', keysPath(app.id), { token: alice, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, code);
    }
    const client = await kmClient.getClient(gen.body.consumerKey);
    assert.deepEqual(client.redirectUris, [CB]);
    assert.deepEqual(client.grantTypes, ['authorization_code']);
    const key = await h.call('GET', keysPath(app.id), { token: alice });
    assert.deepEqual(key.body.callbackUrls, [CB]);
    // a change the rule accepts goes through to the key-manager
    const ok = await h.call('PATCH', keysPath(app.id), {
      token: alice,
      body: { grantTypes: ['authorization_code', 'refresh_token'] },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((await kmClient.getClient(gen.body.consumerKey)).grantTypes, [
      'authorization_code',
      'refresh_token',
    ]);
  });
});
