/**
 * Database outage: the key-manager answers 503 with Retry-After (RFC 6749 body on OAuth
 * endpoints, the common error shape on the admin API), never 200 and never a crash.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PrivateService } from '@portico/testing';
import { startPrivateMongo } from '@portico/testing';
import type { Running } from './harness.ts';
import { basic, createClient, startKeyManager, tokenRequest } from './harness.ts';

let mongo: PrivateService;
let km: Running;

before(async () => {
  mongo = await startPrivateMongo();
  km = await startKeyManager({ MONGO_URL: mongo.url });
});
after(async () => {
  await mongo?.start().catch(() => undefined);
  await km?.close();
  await mongo?.dispose();
});

test('database down: token, revocation and admin calls answer 503 with Retry-After', async () => {
  const c = await createClient(km, {});
  const client = { id: c.clientId, secret: c.clientSecret };
  const issued = await tokenRequest(km, client, { grant_type: 'client_credentials' });
  const { access_token } = (await issued.json()) as { access_token: string };

  await mongo.stop();
  const token = await tokenRequest(km, client, { grant_type: 'client_credentials' });
  assert.equal(token.status, 503);
  assert.ok(token.headers.get('retry-after'));
  assert.equal(((await token.json()) as { error: string }).error, 'temporarily_unavailable');

  const revocation = await fetch(`${km.issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: basic(client.id, client.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: access_token }),
  });
  assert.equal(revocation.status, 503, 'a revocation that is not durable is never 200');

  const admin = await km.adminFetch('/admin/revocations', { method: 'POST', body: { clientId: client.id } });
  assert.equal(admin.status, 503);
  assert.ok(admin.headers.get('retry-after'));
  const body = (await admin.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'unavailable');

  await mongo.start();
  const again = await tokenRequest(km, client, { grant_type: 'client_credentials' });
  assert.equal(again.status, 200, 'recovers when the database is back');
});
