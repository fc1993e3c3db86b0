/**
 * Refresh token rotation with reuse detection: reusing a rotated refresh token revokes the
 * whole grant; 20 concurrent refreshes with one token give exactly one success and no 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';
import { createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';
import { driveAuthorization } from './oauthClient.ts';

let km: Running;
let client: { id: string; secret: string };

before(async () => {
  km = await startKeyManager();
  const res = await km.adminFetch('/admin/userstores/PRIMARY/users', {
    method: 'POST',
    body: { username: 'alice', password: 'correct horse battery' },
  });
  assert.equal(res.status, 201);
  const c = await createClient(km, { grantTypes: ['password', 'refresh_token'] });
  client = { id: c.clientId, secret: c.clientSecret };
});
after(async () => {
  await km?.close();
});

async function login(): Promise<{ access_token: string; refresh_token: string }> {
  const res = await tokenRequest(km, client, {
    grant_type: 'password',
    username: 'alice',
    password: 'correct horse battery',
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const refresh = (token: string, as: { id: string; secret: string } = client) =>
  tokenRequest(km, as, { grant_type: 'refresh_token', refresh_token: token });

test('reusing a rotated refresh token revokes the whole grant', async () => {
  const first = await login();
  const r1 = await refresh(first.refresh_token);
  assert.equal(r1.status, 200);
  const second = (await r1.json()) as { access_token: string; refresh_token: string };
  const info = await introspect(km, second.access_token);
  assert.equal(info['active'], true);

  const reuse = await refresh(first.refresh_token);
  assert.equal(reuse.status, 400);
  assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant');

  // Everything of the grant is gone: the newest refresh token and every access token.
  const next = await refresh(second.refresh_token);
  assert.equal(next.status, 400);
  assert.equal((await introspect(km, second.access_token))['active'], false);
  assert.equal((await introspect(km, first.access_token))['active'], false);

  // The gateway learns it from a durable grant.revoked outbox record.
  const record = await km.mongo.db
    ?.collection('revocation_outbox')
    .findOne({ markerKey: `grant:${info['grant_id']}` });
  assert.equal(record?.['kind'], 'grant.revoked');
  assert.equal(record?.['event']?.data?.clientId, client.id);
});

test('20 concurrent refreshes with one refresh token: exactly one success, zero 5xx', async () => {
  const tokens = await login();
  const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(tokens.refresh_token)));
  const statuses = answers.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s >= 500).length, 0);
  for (const r of answers) {
    const body = (await r.json()) as { error?: string };
    if (r.status !== 200) assert.equal(body.error, 'invalid_grant');
  }
});

test('replaying an authorization code revokes the tokens issued from it', async () => {
  const redirectUri = 'http://127.0.0.1:7777/cb';
  const c = await createClient(km, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [redirectUri],
  });
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(`${km.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: c.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'default',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const { callback } = await driveAuthorization(url, redirectUri, {
    username: 'alice',
    password: 'correct horse battery',
  });
  const code = callback.searchParams.get('code') as string;
  const exchange = () =>
    tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
    );
  const first = await exchange();
  assert.equal(first.status, 200);
  const tokens = (await first.json()) as { access_token: string; refresh_token: string };
  assert.equal((await introspect(km, tokens.access_token))['active'], true);
  const replay = await exchange();
  assert.equal(replay.status, 400);
  assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
  assert.equal((await introspect(km, tokens.access_token))['active'], false);
  assert.equal((await refresh(tokens.refresh_token, { id: c.clientId, secret: c.clientSecret })).status, 400);
});
