/**
 * Refresh token rotation with reuse detection: reusing a rotated refresh token revokes the
 * whole grant; 20 concurrent refreshes with one token give exactly one success and no 5xx; a race
 * of refreshes is reuse too and ends the grant, the winner's new tokens included, on both replicas
 * and whatever the order of the winner's saves and the losers' revocation (issue 13 defect 3).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { mongo } from 'mongoose';
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';
import { createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';
import { driveAuthorization } from './oauthClient.ts';

let km: Running;
/** A second replica on the same database, as in a deployment. */
let km2: Running;
let client: { id: string; secret: string };
/** The same grant types with JWT access tokens (introspected from their signature and the outbox). */
let jwtClient: { id: string; secret: string };

before(async () => {
  km = await startKeyManager();
  km2 = await startKeyManager(
    {
      MONGO_DB: km.config.MONGO_DB,
      TOKEN_HASH_KEY: km.config.TOKEN_HASH_KEY ?? '',
      PERSISTENCE_ENCRYPTION_KEYS: km.config.PERSISTENCE_ENCRYPTION_KEYS,
    },
    { keepDb: true },
  );
  const res = await km.adminFetch('/admin/userstores/PRIMARY/users', {
    method: 'POST',
    body: { username: 'alice', password: 'correct horse battery' },
  });
  assert.equal(res.status, 201);
  const c = await createClient(km, { grantTypes: ['password', 'refresh_token'] });
  client = { id: c.clientId, secret: c.clientSecret };
  const j = await createClient(km, { grantTypes: ['password', 'refresh_token'], tokenFormat: 'jwt' });
  jwtClient = { id: j.clientId, secret: j.clientSecret };
});
after(async () => {
  await km2?.close();
  await km?.close();
});

async function login(as = client): Promise<{ access_token: string; refresh_token: string }> {
  const res = await tokenRequest(km, as, {
    grant_type: 'password',
    username: 'alice',
    password: 'correct horse battery',
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const refresh = (token: string, as: { id: string; secret: string } = client, on: Running = km) =>
  tokenRequest(on, as, { grant_type: 'refresh_token', refresh_token: token });

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

type TokenAnswer = { access_token?: string; refresh_token?: string; error?: string };

/**
 * Delays every insert of a new access or refresh token while `fn` runs: the winner of a race
 * then saves its new tokens only after the losers have detected the reuse and revoked the grant.
 */
async function withSlowTokenSaves<T>(fn: () => Promise<T>): Promise<T> {
  const proto = mongo.Collection.prototype as unknown as Record<string, unknown>;
  const original = proto['insertOne'] as (this: mongo.Collection, ...args: unknown[]) => Promise<unknown>;
  proto['insertOne'] = async function slowInsert(this: mongo.Collection, ...args: unknown[]) {
    if (/^oidc_(access|refresh)_token/.test(this.collectionName)) await delay(400);
    return original.apply(this, args);
  };
  try {
    return await fn();
  } finally {
    proto['insertOne'] = original;
  }
}

/** One race of 8 refreshes with one refresh token over both replicas; checks the whole grant ended. */
async function raceOnce(label: string, slowSaves: boolean, as = client): Promise<number> {
  const tokens = await login(as);
  const grantId = (await introspect(km, tokens.access_token))['grant_id'];
  const race = () =>
    Promise.all(Array.from({ length: 8 }, (_, i) => refresh(tokens.refresh_token, as, i % 2 ? km2 : km)));
  const answers = slowSaves ? await withSlowTokenSaves(race) : await race();
  const statuses = answers.map((r) => r.status);
  assert.equal(statuses.filter((s) => s >= 500).length, 0, `${label}: ${statuses.join(',')}`);
  const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenAnswer[];
  for (const b of bodies) if (!b.access_token) assert.equal(b.error, 'invalid_grant');
  // Reuse, racing or not, ends the grant (RFC 9700 §4.14.2): what the winner got is dead too.
  const winners = bodies.filter((b) => b.access_token);
  for (const won of winners) {
    for (const on of [km, km2]) {
      const info = await introspect(on, won.access_token as string);
      assert.equal(info['active'], false, `${label}: the winner's access token is still active`);
    }
    const again = await refresh(won.refresh_token as string, as);
    assert.equal(again.status, 400, `${label}: the winner's refresh token still works`);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  }
  assert.equal((await introspect(km, tokens.access_token))['active'], false);
  const record = await km.mongo.db
    ?.collection('revocation_outbox')
    .findOne({ markerKey: `grant:${grantId}` });
  assert.equal(record?.['kind'], 'grant.revoked', `${label}: no grant.revoked record`);
  return winners.length;
}

test("a race of concurrent refreshes with one refresh token revokes the whole grant, the winner's new tokens included", async () => {
  for (let round = 0; round < 5; round += 1) await raceOnce(`round ${round}`, false);
});

test("the winner's tokens saved after a losing refresh revoked the grant are dead too", async () => {
  let won = 0;
  for (let round = 0; round < 4; round += 1) {
    const as = round % 2 ? jwtClient : client;
    won += await raceOnce(`slow round ${round} (${round % 2 ? 'jwt' : 'opaque'})`, true, as);
  }
  // The ordering under test needs a winner whose saves came last.
  assert.ok(won > 0, 'no refresh won a race');
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
