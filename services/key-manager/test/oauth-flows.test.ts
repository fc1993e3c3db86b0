/**
 * Acceptance: a standard OAuth client library (oauth4webapi) completes client_credentials,
 * authorization code + PKCE (driving the login form over HTTP), refresh, introspection and
 * revocation against the running key-manager, with opaque and JWT (RFC 9068) tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';
import {
  createClient,
  GATEWAY_ID,
  GATEWAY_SECRET,
  introspect,
  PORTAL_ID,
  PORTAL_REDIRECT,
  PORTAL_SECRET,
  startKeyManager,
  tokenRequest,
} from './harness.ts';
import { authorizationCodeFlow, discover, insecure } from './oauthClient.ts';

const REDIRECT = 'http://127.0.0.1:7777/cb';
let km: Running;
let as: oauth.AuthorizationServer;

before(async () => {
  km = await startKeyManager({ USER_STORE_TOKEN_VALIDITY: 'STAFF.EXAMPLE.COM:-1' });
  as = await discover(km);
  for (const [domain, username, roles] of [
    ['PRIMARY', 'alice', ['developer']],
    ['PARTNERS.EXAMPLE.COM', 'bob', ['subscriber']],
    ['STAFF.EXAMPLE.COM', 'carol', ['admin', 'developer']],
  ] as const) {
    const res = await km.adminFetch(`/admin/userstores/${domain}/users`, {
      method: 'POST',
      body: { username, password: 'correct horse battery', roles },
    });
    assert.equal(res.status, 201, await res.text());
  }
});
after(async () => {
  await km?.close();
});

describe('discovery and keys', () => {
  test('discovery URLs come from ISSUER, not from Host or X-Forwarded-* headers', async () => {
    const res = await fetch(`${km.issuer}/.well-known/openid-configuration`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    const body = (await res.json()) as Record<string, string>;
    assert.equal(body['issuer'], km.issuer);
    assert.equal(body['token_endpoint'], `${km.issuer}/token`);
    assert.equal(body['introspection_endpoint'], `${km.issuer}/token/introspection`);
    assert.equal(body['revocation_endpoint'], `${km.issuer}/token/revocation`);
    assert.deepEqual(body['code_challenge_methods_supported'], ['S256']);
    assert.ok(!JSON.stringify(body).includes('evil.example'));
  });

  test('interaction page headers stay on the pages: JWKS and discovery are cacheable JSON', async () => {
    const res = await fetch(`${km.issuer}/jwks`);
    assert.equal(res.headers.get('cache-control')?.includes('no-store') ?? false, false);
  });

  test('JWKS publishes public keys only, with a self-signed certificate', async () => {
    const jwks = (await (await fetch(`${km.issuer}/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    assert.ok(jwks.keys.length >= 1);
    for (const key of jwks.keys) {
      assert.equal(key['d'], undefined);
      assert.equal(key['p'], undefined);
      assert.ok(Array.isArray(key['x5c']) && (key['x5c'] as string[]).length === 1);
    }
  });
});

describe('client_credentials', () => {
  test('opaque application token: introspection shows the contract claims', async () => {
    const c = await createClient(km, {
      tokenFormat: 'opaque',
      scopes: ['read', 'write'],
      keyType: 'SANDBOX',
    });
    const oc: oauth.Client = { client_id: c.clientId };
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      oc,
      oauth.ClientSecretBasic(c.clientSecret),
      new URLSearchParams({ scope: 'read unknown' }),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, oc, res);
    assert.equal(tokens.scope, 'read');
    assert.equal(tokens.expires_in, 3600);
    const info = await introspect(km, tokens.access_token);
    assert.equal(info['active'], true);
    assert.equal(info['client_id'], c.clientId);
    assert.equal(info['sub'], c.clientId);
    assert.equal(info['key_type'], 'SANDBOX');
    assert.equal(info['token_type'], 'application');
    assert.equal(info['aud'], 'portico-gateway');
    assert.equal(info['scope'], 'read');
    assert.equal(typeof info['iat_ms'], 'number');
    assert.equal(info['user_store_domain'], undefined);
  });

  test('JWT application token follows RFC 9068 and validates with oauth4webapi', async () => {
    const c = await createClient(km, { tokenFormat: 'jwt', scopes: ['read'] });
    const oc: oauth.Client = { client_id: c.clientId };
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      oc,
      oauth.ClientSecretBasic(c.clientSecret),
      new URLSearchParams({ scope: 'read' }),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, oc, res);
    const [header = ''] = tokens.access_token.split('.');
    assert.equal(JSON.parse(Buffer.from(header, 'base64url').toString()).typ, 'at+jwt');
    const request = new Request('http://gateway.test/api', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, 'portico-gateway', insecure);
    assert.equal(claims.client_id, c.clientId);
    assert.equal(claims.sub, c.clientId);
    assert.equal(claims['key_type'], 'PRODUCTION');
    assert.equal(claims['token_type'], 'application');
    assert.equal(claims['scope'], 'read');
    assert.equal(typeof claims['iat_ms'], 'number');
    // Revocable although not stored: introspection turns inactive after RFC 7009 revocation.
    assert.equal((await introspect(km, tokens.access_token))['active'], true);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(
        as,
        oc,
        oauth.ClientSecretBasic(c.clientSecret),
        tokens.access_token,
        insecure,
      ),
    );
    assert.equal((await introspect(km, tokens.access_token))['active'], false);
  });

  test('client_secret_post works as well as basic; a wrong secret is invalid_client', async () => {
    const c = await createClient(km, {});
    const ok = await fetch(`${km.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const bad = await tokenRequest(
      km,
      { id: c.clientId, secret: `${c.clientSecret}x` },
      { grant_type: 'client_credentials' },
    );
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { error: string }).error, 'invalid_client');
  });

  test('per-client negative validity: never expires (no expires_in, no exp)', async () => {
    const opaque = await createClient(km, { validitySeconds: -1 });
    const res = await tokenRequest(
      km,
      { id: opaque.clientId, secret: opaque.clientSecret },
      { grant_type: 'client_credentials' },
    );
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200);
    assert.equal(body['expires_in'], undefined);
    const info = await introspect(km, body['access_token'] as string);
    assert.equal(info['active'], true);
    assert.equal(info['exp'], undefined);

    const jwt = await createClient(km, { validitySeconds: -1, tokenFormat: 'jwt' });
    const r2 = await tokenRequest(
      km,
      { id: jwt.clientId, secret: jwt.clientSecret },
      { grant_type: 'client_credentials' },
    );
    const b2 = (await r2.json()) as Record<string, string>;
    const payload = JSON.parse(
      Buffer.from((b2['access_token'] ?? '').split('.')[1] ?? '', 'base64url').toString(),
    );
    assert.equal(payload.exp, undefined);
    assert.equal(typeof payload.iat, 'number');
  });

  test('per-client positive validity overrides the default', async () => {
    const c = await createClient(km, { validitySeconds: 120 });
    const res = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'client_credentials' },
    );
    assert.equal(((await res.json()) as { expires_in: number }).expires_in, 120);
  });
});

describe('authorization code + PKCE, refresh, introspection, revocation', () => {
  test('a PRIMARY user completes the whole flow with oauth4webapi', async () => {
    const c = await createClient(km, {
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT],
      scopes: ['read'],
    });
    const client = { id: c.clientId, secret: c.clientSecret, redirectUri: REDIRECT };
    const { tokens, pages } = await authorizationCodeFlow(
      as,
      client,
      { username: 'PRIMARY/alice', password: 'correct horse battery' },
      'read',
    );
    assert.ok(
      pages.some((p) => p.includes('Sign in')),
      'login page shown',
    );
    assert.ok(
      pages.some((p) => p.includes('Authorize')),
      'consent page shown',
    );
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.scope, 'read');

    const info = await introspect(km, tokens.access_token);
    assert.equal(info['active'], true);
    assert.equal(info['sub'], 'PRIMARY/alice');
    assert.equal(info['token_type'], 'user');
    assert.equal(info['user_store_domain'], 'PRIMARY');
    assert.equal(typeof info['grant_id'], 'string');

    const oc: oauth.Client = { client_id: c.clientId };
    const auth = oauth.ClientSecretBasic(c.clientSecret);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      oc,
      await oauth.refreshTokenGrantRequest(as, oc, auth, tokens.refresh_token as string, insecure),
    );
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
    assert.notEqual(refreshed.access_token, tokens.access_token);

    const viaLib = await oauth.processIntrospectionResponse(
      as,
      oc,
      await oauth.introspectionRequest(as, oc, auth, refreshed.access_token, insecure),
    );
    assert.equal(viaLib.active, true);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, oc, auth, refreshed.access_token, insecure),
    );
    assert.equal((await introspect(km, refreshed.access_token))['active'], false);
  });

  test('a wrong password re-renders the login page with 401 and no code', async () => {
    const c = await createClient(km, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
    await assert.rejects(
      authorizationCodeFlow(
        as,
        { id: c.clientId, secret: c.clientSecret, redirectUri: REDIRECT },
        { username: 'PRIMARY/alice', password: 'wrong password!' },
        'read',
      ),
      /unexpected 401/,
    );
  });

  test('login and consent pages carry a CSP without inline script', async () => {
    const c = await createClient(km, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
    const url = new URL(as.authorization_endpoint as string);
    url.search = new URLSearchParams({
      client_id: c.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'read',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const first = await fetch(url, { redirect: 'manual' });
    const cookies = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const page = await fetch(new URL(first.headers.get('location') as string, km.issuer), {
      headers: { cookie: cookies },
    });
    const html = await page.text();
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.doesNotMatch(html, /<script/i);
  });

  test('PKCE is required and only S256 is accepted', async () => {
    const c = await createClient(km, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
    const cases: Array<Record<string, string>> = [
      {},
      { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
    ];
    for (const extra of cases) {
      const url = new URL(as.authorization_endpoint as string);
      url.search = new URLSearchParams({
        client_id: c.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        ...extra,
      }).toString();
      const res = await fetch(url, { redirect: 'manual' });
      const location = new URL(res.headers.get('location') ?? 'http://none/');
      assert.equal(location.searchParams.get('error'), 'invalid_request', location.href);
    }
  });

  test('the portal client logs a user in with OIDC; roles are in the ID token', async () => {
    const { tokens, pages } = await authorizationCodeFlow(
      as,
      { id: PORTAL_ID, secret: PORTAL_SECRET, redirectUri: PORTAL_REDIRECT },
      { username: 'STAFF.EXAMPLE.COM/carol', password: 'correct horse battery' },
      'openid profile roles',
    );
    assert.ok(!pages.some((p) => p.includes('Authorize')), 'first-party portal skips consent');
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    assert.equal(claims?.sub, 'STAFF.EXAMPLE.COM/carol');
    assert.deepEqual(claims?.['roles'], ['admin', 'developer']);
    const userinfo = await oauth.processUserInfoResponse(
      as,
      { client_id: PORTAL_ID },
      claims?.sub as string,
      await oauth.userInfoRequest(as, { client_id: PORTAL_ID }, tokens.access_token, insecure),
    );
    assert.deepEqual(userinfo['roles'], ['admin', 'developer']);
  });
});

describe('password grant (WSO2-compatible)', () => {
  test('opt-in client gets a user token with DOMAIN/name; other clients are refused', async () => {
    const c = await createClient(km, { grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    const res = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      {
        grant_type: 'password',
        username: 'partners.example.com/bob',
        password: 'correct horse battery',
        scope: 'read',
      },
    );
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(body['refresh_token']);
    assert.ok(body['access_token']?.startsWith('A~'), 'partition prefix in the token value');
    const info = await introspect(km, body['access_token'] as string);
    assert.equal(info['sub'], 'PARTNERS.EXAMPLE.COM/bob');
    assert.equal(info['user_store_domain'], 'PARTNERS.EXAMPLE.COM');

    const wrong = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'password', username: 'PRIMARY/bob', password: 'correct horse battery' },
    );
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant');

    const other = await createClient(km, {});
    const refused = await tokenRequest(
      km,
      { id: other.clientId, secret: other.clientSecret },
      { grant_type: 'password', username: 'PRIMARY/alice', password: 'correct horse battery' },
    );
    assert.equal(refused.status, 400);
    const refusedBody = (await refused.json()) as { error: string; error_description: string };
    assert.equal(refusedBody.error, 'unauthorized_client', refusedBody.error_description);
  });

  test('per-domain validity: STAFF users get never-expiring tokens', async () => {
    const c = await createClient(km, { grantTypes: ['password'] });
    const res = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'password', username: 'STAFF.EXAMPLE.COM/carol', password: 'correct horse battery' },
    );
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200);
    assert.equal(body['expires_in'], undefined);
    assert.equal((await introspect(km, body['access_token'] as string))['exp'], undefined);
  });

  test('introspection by an unrelated client says inactive', async () => {
    const c = await createClient(km, {});
    const t = (await (
      await tokenRequest(km, { id: c.clientId, secret: c.clientSecret }, { grant_type: 'client_credentials' })
    ).json()) as {
      access_token: string;
    };
    const other = await createClient(km, {});
    const res = await fetch(`${km.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${other.clientId}:${other.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: t.access_token }),
    });
    assert.deepEqual(await res.json(), { active: false });
    void GATEWAY_ID;
    void GATEWAY_SECRET;
  });
});

describe('metrics', () => {
  test('tokens issued by grant and format, introspection latency and outbox gauges on the admin port', async () => {
    const text = await (await fetch(`${km.admin}/metrics`)).text();
    assert.match(
      text,
      /keymanager_tokens_issued_total\{[^}]*grant="client_credentials"[^}]*format="opaque"[^}]*\} [1-9]/,
    );
    assert.match(
      text,
      /keymanager_tokens_issued_total\{[^}]*grant="client_credentials"[^}]*format="jwt"[^}]*\} [1-9]/,
    );
    assert.match(text, /keymanager_tokens_issued_total\{[^}]*grant="password"[^}]*\} [1-9]/);
    assert.match(text, /keymanager_tokens_issued_total\{[^}]*grant="refresh_token"[^}]*\} [1-9]/);
    assert.match(text, /keymanager_introspection_duration_seconds_count\{[^}]*active="true"[^}]*\} [1-9]/);
    assert.match(text, /keymanager_outbox_pending\{[^}]*\} \d+/);
    assert.match(text, /keymanager_outbox_oldest_pending_age_seconds\{[^}]*\} [\d.]+/);
    assert.equal((await fetch(`${km.issuer}/metrics`)).status, 404, 'metrics are not public');
  });
});

describe('issuer with a path', () => {
  test('endpoints, login pages and the code flow all live under the issuer path', async () => {
    const sub = await startKeyManager({}, { issuerPath: '/oauth2' });
    try {
      const subAs = await discover(sub);
      assert.equal(subAs.token_endpoint, `${sub.issuer}/token`);
      assert.ok(sub.issuer.endsWith('/oauth2'));
      await sub.adminFetch('/admin/userstores/PRIMARY/users', {
        method: 'POST',
        body: { username: 'pat', password: 'correct horse battery' },
      });
      const c = await createClient(sub, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
      const { tokens } = await authorizationCodeFlow(
        subAs,
        { id: c.clientId, secret: c.clientSecret, redirectUri: REDIRECT },
        { username: 'pat', password: 'correct horse battery' },
        'default',
      );
      assert.ok(tokens.access_token);
    } finally {
      await sub.close();
    }
  });
});
