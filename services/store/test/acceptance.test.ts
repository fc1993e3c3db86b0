/**
 * Acceptance against the REAL key-manager (child process), real FerretDB and Kafka: WSO2 API Manager's
 * "Generate Access Tokens" flow through the store's REST API, with browser sign-in (OIDC code +
 * PKCE at the key-manager's login form) and bearer tokens from the key-manager.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PorticoEvent, RunningConsumer } from '@portico/events';
import { revocationEvent } from '@portico/events';
import { freePort, uniqueName, waitFor } from '@portico/testing';
import { OidcIdentityProvider } from '../src/identity/oidc.ts';
import { HttpKeyManagerClient } from '../src/keymanager/http.ts';
import type { Harness } from './harness.ts';
import { startHarness } from './harness.ts';
import type { RealKeyManager } from './key-manager.ts';
import {
  Browser,
  GATEWAY_ID,
  GATEWAY_SECRET,
  KM_ADMIN_TOKEN,
  PORTAL_ID,
  PORTAL_SECRET,
  startRealKeyManager,
  USERS,
} from './key-manager.ts';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('acceptance with the real key-manager', () => {
  let km: RealKeyManager;
  let h: Harness;
  let storeUrl: string;
  let revocations: RunningConsumer;
  const revoked: PorticoEvent[] = [];

  /** A signed-in browser session: cookie + CSRF token, as the portal UI will use it. */
  async function session(user: { username: string; password: string }) {
    const browser = new Browser();
    const landed = await browser.signIn(`${storeUrl}/auth/login?returnTo=/done`, user, `${storeUrl}/done`);
    assert.equal(landed.pathname, '/done');
    const me = (await (await browser.fetch(`${storeUrl}/api/v1/me`)).json()) as {
      subject: string;
      roles: string[];
      csrfToken: string;
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await browser.fetch(`${storeUrl}${path}`, {
        method,
        headers: {
          'x-csrf-token': me.csrfToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) as never }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    return { me, call };
  }

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${km.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: basic(GATEWAY_ID, GATEWAY_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, unknown>;
  }

  async function clientCredentials(clientId: string, secret: string): Promise<number> {
    const res = await fetch(`${km.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(clientId, secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    await res.text();
    return res.status;
  }

  before(async () => {
    const prefix = `${uniqueName('acc')}.`;
    const port = await freePort();
    storeUrl = `http://127.0.0.1:${port}`;
    km = await startRealKeyManager({ topicPrefix: prefix, redirectUri: `${storeUrl}/auth/callback` });
    h = await startHarness({
      port,
      topicPrefix: prefix,
      consume: false,
      env: { PUBLIC_URL: storeUrl },
      keyManager: new HttpKeyManagerClient({
        adminUrl: km.adminUrl,
        adminToken: KM_ADMIN_TOKEN,
        timeoutMs: 5000,
      }),
      identity: new OidcIdentityProvider({
        issuer: km.issuer,
        clientId: PORTAL_ID,
        clientSecret: PORTAL_SECRET,
        timeoutMs: 5000,
      }),
    });
    revocations = await h.bus.consume({
      broadcast: true,
      topics: [h.topics.revocations],
      schema: revocationEvent,
      handle: (e) => {
        revoked.push(e);
      },
    });
  });
  after(async () => {
    await revocations?.stop();
    await km?.stop();
    if (km && h)
      await h.conn
        .useDb(km.dbName)
        .dropDatabase()
        .catch(() => undefined);
    await h?.close();
  });

  it("runs WSO2 API Manager's Generate Access Tokens flow: application, subscription, keys, token, regenerate, new secret, delete", async () => {
    const admin = await session(USERS.admin);
    assert.deepEqual(admin.me.roles, ['developer', 'admin']);
    const api = await admin.call('POST', '/api/v1/apis', {
      name: 'Twitter',
      version: '1.0.0',
      context: '/twitter/1.0.0',
      productionUrl: 'http://search.twitter.example',
    });
    assert.equal(api.status, 201, JSON.stringify(api.body));
    assert.equal(
      (await admin.call('POST', `/api/v1/apis/${api.body.id}/lifecycle`, { state: 'PUBLISHED' })).status,
      200,
    );

    const alice = await session(USERS.alice);
    assert.equal(alice.me.subject, 'PRIMARY/alice');
    assert.deepEqual(alice.me.roles, ['developer']);
    const app = await alice.call('POST', '/api/v1/applications', {
      name: 'DefaultApplication',
      tier: 'Unlimited',
    });
    assert.equal(app.status, 201);
    const sub = await alice.call('POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.body.id,
      tier: 'Gold',
    });
    assert.equal(sub.status, 201);

    const keys = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/PRODUCTION`, {
      allowedDomains: ['app.example.com', '*.example.org'],
      validitySeconds: 1800,
    });
    assert.equal(keys.status, 201, JSON.stringify(keys.body));
    const { consumerKey, consumerSecret } = keys.body;
    const clientRes = await fetch(`${km.adminUrl}/admin/clients/${consumerKey}`, {
      headers: { authorization: `Bearer ${KM_ADMIN_TOKEN}` },
    });
    const client = (await clientRes.json()) as Record<string, unknown>;
    assert.equal(client.applicationId, app.body.id);
    assert.equal(client.keyType, 'PRODUCTION');
    assert.equal(client.validitySeconds, 1800);
    assert.equal(
      await clientCredentials(consumerKey, consumerSecret),
      200,
      'the shown secret works at /token',
    );

    const t1 = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/PRODUCTION/token`, {});
    assert.equal(t1.status, 200, JSON.stringify(t1.body));
    assert.equal(t1.body.expiresIn, 1800);
    const i1 = await introspect(t1.body.accessToken);
    assert.equal(i1['active'], true);
    assert.equal(i1['client_id'], consumerKey);
    assert.equal(i1['key_type'], 'PRODUCTION');

    // regenerate: the old token is inactive and a revocation event is on the topic
    const t2 = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/PRODUCTION/token`, {});
    assert.equal(t2.status, 200);
    assert.notEqual(t2.body.accessToken, t1.body.accessToken);
    assert.equal((await introspect(t1.body.accessToken))['active'], false);
    assert.equal((await introspect(t2.body.accessToken))['active'], true);
    await waitFor(
      () => revoked.some((e) => e.type === 'client.tokens_revoked' && e.data.clientId === consumerKey),
      { timeoutMs: 20_000, message: 'client.tokens_revoked on the revocations topic' },
    );

    // regenerate the secret: the old one stops working, the new one works
    const secret = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/PRODUCTION/secret`);
    assert.equal(secret.status, 200);
    assert.equal(await clientCredentials(consumerKey, consumerSecret), 401);
    assert.equal(await clientCredentials(consumerKey, secret.body.consumerSecret), 200);
    assert.equal((await introspect(t2.body.accessToken))['active'], false, 'a new secret revokes the tokens');

    // delete the application: every token revoked, the client gone
    const t3 = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/PRODUCTION/token`, {});
    assert.equal((await introspect(t3.body.accessToken))['active'], true);
    const before = revoked.length;
    assert.equal((await alice.call('DELETE', `/api/v1/applications/${app.body.id}`)).status, 204);
    assert.equal((await introspect(t3.body.accessToken))['active'], false);
    const gone = await fetch(`${km.adminUrl}/admin/clients/${consumerKey}`, {
      headers: { authorization: `Bearer ${KM_ADMIN_TOKEN}` },
    });
    assert.equal(gone.status, 404);
    await waitFor(
      () =>
        revoked
          .slice(before)
          .some((e) => e.type === 'client.tokens_revoked' && e.data.clientId === consumerKey),
      { timeoutMs: 20_000, message: 'revocation of the deleted client on the topic' },
    );
    assert.equal((await alice.call('GET', `/api/v1/applications/${app.body.id}`)).status, 404);
  });

  it('accepts a bearer user token of the portal client, and refuses application tokens', async () => {
    // A script signs in once with code + PKCE (here: stopping at the redirect with the code).
    const verifier = createHash('sha256').update(String(Math.random())).digest('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const auth = new URL(`${km.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: PORTAL_ID,
      redirect_uri: `${storeUrl}/auth/callback`,
      response_type: 'code',
      scope: 'openid roles',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'script',
    }).toString();
    const callback = await new Browser().signIn(auth.href, USERS.bob, `${storeUrl}/auth/callback`);
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.href);
    const tokenRes = await fetch(`${km.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(PORTAL_ID, PORTAL_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${storeUrl}/auth/callback`,
        code_verifier: verifier,
      }),
    });
    assert.equal(tokenRes.status, 200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const me = await h.call('GET', '/api/v1/me', { token: access_token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.subject, 'PRIMARY/bob');
    assert.equal(me.body.authenticatedBy, 'bearer');
    const created = await h.call('POST', '/api/v1/applications', {
      token: access_token,
      body: { name: 'CI' },
    });
    assert.equal(created.status, 201, 'bearer writes need no CSRF token');
    assert.equal(created.body.owner, 'PRIMARY/bob');

    // an application token (client_credentials of an application key) is not a developer identity
    const keys = await h.call('POST', `/api/v1/applications/${created.body.id}/keys/SANDBOX`, {
      token: access_token,
    });
    assert.equal(keys.status, 201);
    const appToken = await h.call('POST', `/api/v1/applications/${created.body.id}/keys/SANDBOX/token`, {
      token: access_token,
    });
    assert.equal((await h.call('GET', '/api/v1/me', { token: appToken.body.accessToken })).status, 401);
    // and bob cannot reach alice's things, nor admin routes
    assert.equal((await h.call('POST', '/api/v1/apis', { token: access_token, body: {} })).status, 403);
  });

  it('issues JWT tokens for a JWT key and never-expiring tokens for a negative validity', async () => {
    const alice = await session(USERS.alice);
    const app = await alice.call('POST', '/api/v1/applications', { name: 'JWT app' });
    const keys = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {
      tokenFormat: 'jwt',
      validitySeconds: -1,
      allowedDomains: ['ALL'],
    });
    assert.equal(keys.status, 201, JSON.stringify(keys.body));
    assert.deepEqual(keys.body.allowedDomains, []);
    const token = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.expiresIn, null, 'never expires');
    const [header, payload] = (token.body.accessToken as string).split('.');
    assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).typ, 'at+jwt');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    assert.equal(claims.client_id, keys.body.consumerKey);
    assert.equal(claims.key_type, 'SANDBOX');
    assert.equal(claims.exp, undefined);
    assert.equal((await introspect(token.body.accessToken))['active'], true);
    // changing the format later reaches the key-manager
    const patched = await alice.call('PATCH', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {
      tokenFormat: 'opaque',
      validitySeconds: 900,
    });
    assert.equal(patched.status, 200);
    const opaque = await alice.call('POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
    assert.equal(opaque.body.accessToken.split('.').length === 3, false);
    assert.equal(opaque.body.expiresIn, 900);
  });
});
