import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Running } from './harness.ts';
import { createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager();
});
after(async () => {
  await km?.close();
});

test('smoke: discovery, client_credentials, introspection', async () => {
  const disc = await (await fetch(`${km.issuer}/.well-known/openid-configuration`)).json();
  console.log(disc.token_endpoint, disc.introspection_endpoint, disc.jwks_uri);
  const c = await createClient(km, { tokenFormat: 'opaque' });
  const res = await tokenRequest(
    km,
    { id: c.clientId, secret: c.clientSecret },
    { grant_type: 'client_credentials' },
  );
  const body = await res.json();
  console.log(res.status, body);
  assert.equal(res.status, 200);
  console.log(await introspect(km, body.access_token));
  const j = await createClient(km, { tokenFormat: 'jwt', scopes: ['read'] });
  const r2 = await tokenRequest(
    km,
    { id: j.clientId, secret: j.clientSecret },
    { grant_type: 'client_credentials', scope: 'read' },
  );
  const b2 = await r2.json();
  console.log(r2.status, b2);
  console.log(await introspect(km, b2.access_token));
});
