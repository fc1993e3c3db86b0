/**
 * The access token read cache (TOKEN_RECORD_CACHE_TTL_MS) never outlives a revocation: two
 * replicas share one database; replica A has the token cached (it issued it),
 * replica B ends it; A must answer inactive at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Running } from './harness.ts';
import { basic, createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';

let a: Running;
let b: Running;
before(async () => {
  a = await startKeyManager({ TOKEN_RECORD_CACHE_TTL_MS: '3600000' });
  b = await startKeyManager(
    {
      MONGO_DB: a.config.MONGO_DB,
      TOKEN_HASH_KEY: a.config.TOKEN_HASH_KEY as string,
      PERSISTENCE_ENCRYPTION_KEYS: a.config.PERSISTENCE_ENCRYPTION_KEYS,
      TOKEN_RECORD_CACHE_TTL_MS: '3600000',
    },
    { keepDb: true, startRelay: false },
  );
});
after(async () => {
  await b?.close();
  await a?.close();
});

async function cachedToken(client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await tokenRequest(
    a,
    { id: client.clientId, secret: client.clientSecret },
    {
      grant_type: 'client_credentials',
    },
  );
  assert.equal(res.status, 200);
  const token = ((await res.json()) as { access_token: string }).access_token;
  assert.equal((await introspect(a, token))['active'], true);
  assert.equal((await introspect(b, token))['active'], true, 'replica B reads it from the database');
  return token;
}

test('RFC 7009 revocation on another replica ends a token cached here at once', async () => {
  const client = await createClient(a, {});
  const token = await cachedToken(client);
  const res = await fetch(`${b.issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200);
  assert.equal((await introspect(a, token))['active'], false);
  assert.equal((await introspect(b, token))['active'], false);
});

test('revoking all tokens of a client on another replica ends a token cached here at once', async () => {
  const client = await createClient(a, {});
  const token = await cachedToken(client);
  const res = await b.adminFetch('/admin/revocations', {
    method: 'POST',
    body: { clientId: client.clientId },
  });
  assert.ok(res.status < 300, await res.text());
  assert.equal((await introspect(a, token))['active'], false);
});

test('a cached token is still only introspectable by the gateway or its own client', async () => {
  const owner = await createClient(a, {});
  const other = await createClient(a, {});
  const token = await cachedToken(owner);
  const res = await fetch(`${a.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: basic(other.clientId, other.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(((await res.json()) as { active: boolean }).active, false);
});
