/**
 * The client cache of the token endpoint (CLIENT_CACHE_TTL_MS): a change made through this
 * replica's store applies at once; another replica sees it once its cached copy expires.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { uniqueName } from '@portico/testing';
import { mongo } from 'mongoose';
import type { ClientStore } from '../src/store/clients.ts';
import { createClientStore } from '../src/store/clients.ts';

const url = process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27018/';
const client = new mongo.MongoClient(url, { serverSelectionTimeoutMS: 5000 });
const db = client.db(uniqueName('km_client_cache'));
const HASH_KEY = 'client-cache-test-hash-key-0123456789abcdef';
let clock = 1_000_000;
const now = () => clock;

before(() => client.connect());
after(async () => {
  await db.dropDatabase();
  await client.close();
});

const store = (ttlMs: number): ClientStore => createClientStore(db, HASH_KEY, [], { ttlMs, now });
const input = { applicationId: 'app-1', keyType: 'PRODUCTION', tokenFormat: 'opaque' } as const;
const secretHashOf = async (s: ClientStore, id: string) => (await s.findMetadata(id))?.['client_secret'];

test('this replica: a new secret, disabling and deleting apply at once despite a cached record', async () => {
  const here = store(60_000);
  const { doc } = await here.create({
    ...input,
    grantTypes: ['client_credentials'],
    redirectUris: [],
    scopes: [],
  });
  const first = await secretHashOf(here, doc._id);
  assert.equal(first, doc.secretHash);
  assert.ok(await here.setSecret(doc._id));
  const second = await secretHashOf(here, doc._id);
  assert.ok(second && second !== first, 'the old secret hash is not served from the cache');
  await here.update(doc._id, { disabled: true });
  assert.equal(await here.findMetadata(doc._id), undefined);
  await here.update(doc._id, { disabled: false });
  assert.ok(await here.findMetadata(doc._id));
  assert.equal(await here.remove(doc._id), true);
  assert.equal(await here.findMetadata(doc._id), undefined);
});

test('another replica serves its copy until the TTL, then reads the change', async () => {
  const a = store(60_000);
  const b = store(1_000);
  const { doc } = await a.create({
    ...input,
    grantTypes: ['client_credentials'],
    redirectUris: [],
    scopes: [],
  });
  const old = await secretHashOf(b, doc._id);
  await a.setSecret(doc._id);
  assert.equal(await secretHashOf(b, doc._id), old, 'within the TTL');
  clock += 1_001;
  const fresh = await secretHashOf(b, doc._id);
  assert.ok(fresh && fresh !== old, 'after the TTL the new secret hash is read');
  const uncached = store(0);
  await a.setSecret(doc._id);
  assert.notEqual(await secretHashOf(uncached, doc._id), fresh, 'TTL 0 reads every time');
});

test('unknown clients are not cached: a client created elsewhere is usable at once', async () => {
  const a = store(60_000);
  const b = store(60_000);
  assert.equal(await b.findMetadata('ck_not_yet'), undefined);
  const { doc } = await a.create({
    ...input,
    grantTypes: ['client_credentials'],
    redirectUris: [],
    scopes: [],
  });
  assert.ok(await b.findMetadata(doc._id));
});
