/**
 * Protected persistence: user tokens live in their domain's partition only, a dump of the
 * database holds no raw token and no client secret, payloads are sealed, keys rotate, and a
 * record that does not decrypt is "not found".
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { uniqueName } from '@portico/testing';
import type { Running } from './harness.ts';
import { createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';
import { authorizationCodeFlow, discover } from './oauthClient.ts';

const running: Running[] = [];
after(async () => {
  for (const km of running) await km.close();
});

async function start(env: Record<string, string> = {}, keepDb = false): Promise<Running> {
  const km = await startKeyManager(env, { keepDb });
  running.push(km);
  return km;
}

async function addUser(km: Running, domain: string, username: string): Promise<void> {
  const res = await km.adminFetch(`/admin/userstores/${domain}/users`, {
    method: 'POST',
    body: { username, password: 'correct horse battery' },
  });
  assert.equal(res.status, 201, await res.text());
}

async function passwordLogin(km: Running, client: { id: string; secret: string }, username: string) {
  const res = await tokenRequest(km, client, {
    grant_type: 'password',
    username,
    password: 'correct horse battery',
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

async function dump(km: Running): Promise<Record<string, string>> {
  const db = km.mongo.db;
  assert.ok(db);
  const out: Record<string, string> = {};
  for (const { name } of await db.listCollections().toArray()) {
    out[name] = JSON.stringify(await db.collection(name).find({}).toArray());
  }
  return out;
}

for (const encrypted of [true, false]) {
  test(`a user of a mapped domain has tokens only in that partition; no raw token or secret in a dump (${encrypted ? 'encrypted' : 'clear'} payloads)`, async () => {
    const km = await start(encrypted ? {} : { PERSISTENCE_ENCRYPTION_KEYS: '' });
    await addUser(km, 'PARTNERS.EXAMPLE.COM', 'bob');
    await addUser(km, 'PRIMARY', 'alice');
    const c = await createClient(km, { grantTypes: ['password', 'refresh_token', 'client_credentials'] });
    const client = { id: c.clientId, secret: c.clientSecret };
    const bob = await passwordLogin(km, client, 'PARTNERS.EXAMPLE.COM/bob');
    const alice = await passwordLogin(km, client, 'alice');
    const app = (await (await tokenRequest(km, client, { grant_type: 'client_credentials' })).json()) as {
      access_token: string;
    };
    assert.ok(bob.access_token.startsWith('A~') && bob.refresh_token.startsWith('A~'));
    assert.ok(!alice.access_token.includes('~'));

    const db = km.mongo.db;
    assert.ok(db);
    const count = (name: string, filter: Record<string, unknown>) =>
      db.collection(name).countDocuments(filter);
    assert.equal(await count('oidc_access_token__A', { accountId: 'PARTNERS.EXAMPLE.COM/bob' }), 1);
    assert.equal(await count('oidc_refresh_token__A', { accountId: 'PARTNERS.EXAMPLE.COM/bob' }), 1);
    assert.equal(await count('oidc_access_token', { accountId: 'PARTNERS.EXAMPLE.COM/bob' }), 0);
    assert.equal(await count('oidc_refresh_token', { accountId: 'PARTNERS.EXAMPLE.COM/bob' }), 0);
    assert.equal(await count('oidc_access_token', { accountId: 'PRIMARY/alice' }), 1);
    assert.equal(await count('oidc_access_token__A', { accountId: 'PRIMARY/alice' }), 0);
    assert.equal(await count('oidc_client_credentials', { clientId: c.clientId }), 1);

    // Revoke one token so that the outbox holds something too.
    await km.adminFetch('/admin/revocations', { method: 'POST', body: { token: alice.access_token } });

    const all = await dump(km);
    const secrets = [
      bob.access_token,
      bob.refresh_token,
      bob.access_token.slice(2),
      bob.refresh_token.slice(2),
      alice.access_token,
      alice.refresh_token,
      app.access_token,
      c.clientSecret,
    ];
    for (const [collection, text] of Object.entries(all)) {
      for (const secret of secrets)
        assert.ok(!text.includes(secret), `${collection} contains a raw token or secret`);
    }
    const stored = await db.collection('oidc_access_token__A').findOne({});
    if (encrypted) {
      assert.ok(stored?.['sealed'] && !stored['payload'], 'payload is encrypted');
      assert.equal(stored?.['sealed'].kid, 'k2', 'the first key of the keyring encrypts');
    } else {
      assert.ok(stored?.['payload'] && !stored['sealed']);
      assert.equal(stored?.['payload'].jti, undefined, 'the token value is not kept in the payload');
    }
    assert.equal((await introspect(km, bob.access_token))['active'], true);
    assert.equal((await introspect(km, alice.access_token))['active'], false);
  });
}

test('the authorization code flow also keeps a mapped user in the partition (code, access, refresh)', async () => {
  const km = await start();
  await addUser(km, 'PARTNERS.EXAMPLE.COM', 'gina');
  const redirectUri = 'http://127.0.0.1:7777/cb';
  const c = await createClient(km, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [redirectUri],
  });
  const as = await discover(km);
  const { tokens } = await authorizationCodeFlow(
    as,
    { id: c.clientId, secret: c.clientSecret, redirectUri },
    { username: 'PARTNERS.EXAMPLE.COM/gina', password: 'correct horse battery' },
    'default',
  );
  assert.ok(tokens.access_token.startsWith('A~'));
  const db = km.mongo.db;
  assert.ok(db);
  const gina = { accountId: 'PARTNERS.EXAMPLE.COM/gina' };
  assert.equal(await db.collection('oidc_authorization_code__A').countDocuments(gina), 1);
  assert.equal(await db.collection('oidc_access_token__A').countDocuments(gina), 1);
  assert.equal(await db.collection('oidc_refresh_token__A').countDocuments(gina), 1);
  for (const name of ['oidc_authorization_code', 'oidc_access_token', 'oidc_refresh_token']) {
    assert.equal(await db.collection(name).countDocuments(gina), 0, name);
  }
});

test('a token naming an unknown partition is simply not found', async () => {
  const km = await start();
  assert.equal((await introspect(km, `Z~${randomBytes(32).toString('base64url')}`))['active'], false);
});

test('keyring rotation: old keys still decrypt, removed keys make records not found, AAD binds documents', async () => {
  const db = uniqueName('km');
  const hashKey = randomBytes(32).toString('hex');
  const k1 = `k1:${randomBytes(32).toString('base64')}`;
  const k2 = `k2:${randomBytes(32).toString('base64')}`;
  const base = { MONGO_DB: db, TOKEN_HASH_KEY: hashKey, SIGNING_KEYS: '' };

  const first = await start({ ...base, PERSISTENCE_ENCRYPTION_KEYS: k1 }, true);
  const c = await createClient(first, {});
  const client = { id: c.clientId, secret: c.clientSecret };
  const issue = async (km: Running) =>
    (
      (await (await tokenRequest(km, client, { grant_type: 'client_credentials' })).json()) as {
        access_token: string;
      }
    ).access_token;
  const old = await issue(first);
  const other = await issue(first);

  const rotated = await start({ ...base, PERSISTENCE_ENCRYPTION_KEYS: `${k2},${k1}` }, true);
  assert.equal((await introspect(rotated, old))['active'], true, 'old key still decrypts');
  const fresh = await issue(rotated);
  const kids = (await rotated.mongo.db?.collection('oidc_client_credentials').find({}).toArray())?.map(
    (d) => d['sealed'].kid,
  );
  assert.deepEqual(kids?.sort(), ['k1', 'k1', 'k2']);

  // Swap two ciphertexts: the AAD (collection + stored id) makes both undecryptable.
  const col = rotated.mongo.db?.collection('oidc_client_credentials');
  const docs = (await col?.find({ 'sealed.kid': 'k1' }).toArray()) ?? [];
  assert.equal(docs.length, 2);
  await col?.updateOne({ _id: docs[0]?._id }, { $set: { sealed: docs[1]?.['sealed'] } });
  const results = await Promise.all([introspect(rotated, old), introspect(rotated, other)]);
  assert.equal(results.filter((r) => r['active'] === true).length, 1, 'the swapped document no longer opens');

  const retired = await start({ ...base, PERSISTENCE_ENCRYPTION_KEYS: k2 });
  assert.equal((await introspect(retired, fresh))['active'], true);
  assert.equal((await introspect(retired, old))['active'], false, 'undecryptable = not found');
  assert.equal((await introspect(retired, other))['active'], false);
});

test('a partition can have its own encryption keys', async () => {
  const db = uniqueName('km');
  const hashKey = randomBytes(32).toString('hex');
  const main = `k1:${randomBytes(32).toString('base64')}`;
  const partitionKey = `A:pa1:${randomBytes(32).toString('base64')}`;
  const base = { MONGO_DB: db, TOKEN_HASH_KEY: hashKey, PERSISTENCE_ENCRYPTION_KEYS: main };
  const km = await start({ ...base, PARTITION_ENCRYPTION_KEYS: partitionKey }, true);
  await addUser(km, 'PARTNERS.EXAMPLE.COM', 'hank');
  await addUser(km, 'PRIMARY', 'ivy');
  const c = await createClient(km, { grantTypes: ['password'] });
  const client = { id: c.clientId, secret: c.clientSecret };
  const hank = await passwordLogin(km, client, 'PARTNERS.EXAMPLE.COM/hank');
  const ivy = await passwordLogin(km, client, 'ivy');
  const doc = await km.mongo.db?.collection('oidc_access_token__A').findOne({});
  assert.equal(doc?.['sealed'].kid, 'pa1');
  assert.equal((await introspect(km, hank.access_token))['active'], true);

  // Without the partition's key its records are unreadable; the default partition is unaffected.
  const without = await start({ ...base });
  assert.equal((await introspect(without, hank.access_token))['active'], false);
  assert.equal((await introspect(without, ivy.access_token))['active'], true);
});
