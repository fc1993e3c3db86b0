/**
 * End-to-end journeys 1-5 of issue 8 on one whole stack started by the scripts of `make up`
 * (services.sh + seed-demo.sh; shared Kafka/FerretDB/Redis with this stack's own names), with
 * real clients: curl for every API call through the two gateway replicas, openid-client for
 * every OAuth call. Each journey takes its own tokens, so they do not depend on each other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FormBrowser, waitFor } from '@portico/testing';
import type { Configuration } from 'openid-client';
import type { CurlResult, DemoKeys, Stack, StoreSession } from '../src/index.ts';
import {
  callApi,
  DEMO,
  kmAdmin,
  oauthClient,
  oidc,
  seedDemo,
  startStack,
  storeSession,
} from '../src/index.ts';

const DOMAIN = { header: DEMO.domainHeader, value: DEMO.allowedDomain };
const SEARCH = `${DEMO.apiContext}/search.atom?q=cat`;

let stack: Stack;
let keys: DemoKeys;
let developer: StoreSession;
let prod: Configuration;
let sandbox: Configuration;
let gatewayClient: Configuration;

function developerCredentials() {
  return { username: DEMO.developer, password: stack.secrets['DEMO_DEVELOPER_PASSWORD']! };
}

async function seed(applicationName?: string): Promise<DemoKeys> {
  return seedDemo({
    storeUrl: stack.storeUrl,
    keyManagerUrl: stack.keyManagerUrl,
    developer: developerCredentials(),
    stateFile: `${stack.runDir}/demo-keys.json`,
    ...(applicationName ? { applicationName, subscriptionTier: 'Unlimited' } : {}),
  });
}

async function onBoth(path: string, token: string, domain?: typeof DOMAIN): Promise<CurlResult[]> {
  return Promise.all(stack.gateways.map((gw) => callApi(gw, path, token, domain)));
}

/** Every replica answers `status` right now. */
async function assertBoth(token: string, status: number, domain?: typeof DOMAIN, path = SEARCH) {
  const answers = await onBoth(path, token, domain);
  answers.forEach((a, i) => {
    assert.equal(a.status, status, `replica ${i + 1}: ${a.status} ${a.body.slice(0, 200)}`);
  });
  return answers;
}

/** Every replica comes to answer `status` (revocations travel through Kafka). */
async function eventuallyBoth(token: string, status: number, domain?: typeof DOMAIN, path = SEARCH) {
  let last: CurlResult[] = [];
  await waitFor(
    async () => {
      last = await onBoth(path, token, domain);
      return last.every((a) => a.status === status);
    },
    { timeoutMs: 20_000, intervalMs: 100, message: `both replicas answer ${status}` },
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}; last: ${last.map((a) => `${a.status} ${a.body.slice(0, 120)}`).join(' | ')}`,
    );
  });
}

async function clientToken(config: Configuration): Promise<string> {
  return (await oidc.clientCredentialsGrant(config)).access_token;
}

before(async () => {
  stack = await startStack({
    env: {
      // short-lived tokens for the validity journey; a user-store domain for revoke-by-domain
      TOKEN_VALIDITY_MIN_SECONDS: '1',
      CLOCK_TOLERANCE_SECONDS: '0',
      USER_STORE_DOMAINS: 'PARTNERS.EXAMPLE.COM',
    },
  });
  keys = await seed();
  developer = await storeSession(stack.storeUrl, developerCredentials());
  prod = await oauthClient(stack.keyManagerUrl, keys.production.clientId, keys.production.clientSecret);
  sandbox = await oauthClient(stack.keyManagerUrl, keys.sandbox.clientId, keys.sandbox.clientSecret);
  gatewayClient = await oauthClient(
    stack.keyManagerUrl,
    'portico-gateway',
    stack.secrets['GATEWAY_CLIENT_SECRET']!,
  );
});

after(async () => {
  await stack?.close();
});

describe('journey 1: the Generate Access Tokens flow', () => {
  it('make up wrote every PORTICO_* setting of demo.env, the demo seeding is idempotent', async () => {
    for (const name of [
      'PORTICO_GATEWAY_URL',
      'PORTICO_GATEWAY_URLS',
      'PORTICO_KEY_MANAGER_URL',
      'PORTICO_STORE_URL',
      'PORTICO_DEMO_API_PATH',
      'PORTICO_CLIENT_DOMAIN_HEADER',
      'PORTICO_DEMO_ALLOWED_DOMAIN',
      'PORTICO_DEMO_PROD_CLIENT_ID',
      'PORTICO_DEMO_PROD_CLIENT_SECRET',
      'PORTICO_DEMO_SANDBOX_CLIENT_ID',
      'PORTICO_DEMO_SANDBOX_CLIENT_SECRET',
      'PORTICO_DEMO_USERNAME',
      'PORTICO_DEMO_PASSWORD',
    ]) {
      assert.ok(stack.env[name], `${name} in demo.env`);
    }
    assert.equal(stack.env['PORTICO_GATEWAY_URLS']?.split(',').length, 2);
    assert.equal(stack.env['PORTICO_DEMO_PROD_CLIENT_ID'], keys.production.clientId);
    const again = await stack.seed();
    assert.equal(again['PORTICO_DEMO_PROD_CLIENT_ID'], keys.production.clientId, 'same application keys');
    assert.equal(again['PORTICO_DEMO_PROD_CLIENT_SECRET'], keys.production.clientSecret, 'same secret');
  });

  it('token, call with the domain header on both replicas, wrong domain refused, regenerate, revoke', async () => {
    const token = await clientToken(prod);
    const answers = await assertBoth(token, 200, DOMAIN);
    for (const a of answers) {
      assert.match(a.headers['content-type'] ?? '', /atom/);
      assert.match(a.body, /production result for cat/);
    }
    const wrong = await callApi(stack.gateways[0]!, SEARCH, token, {
      header: DOMAIN.header,
      value: 'evil.example.net',
    });
    assert.equal(wrong.status, 403, wrong.body);
    assert.equal(
      (await callApi(stack.gateways[0]!, SEARCH, token)).status,
      403,
      'no domain header on a restricted key',
    );
    assert.equal((await callApi(stack.gateways[0]!, SEARCH, undefined)).status, 401, 'no token');

    const regenerated = await developer.call(
      'POST',
      `/api/v1/applications/${keys.applicationId}/keys/PRODUCTION/token`,
      {},
    );
    assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
    const fresh = String(regenerated.body.accessToken);
    await eventuallyBoth(token, 401, DOMAIN);
    await assertBoth(fresh, 200, DOMAIN);

    await oidc.tokenRevocation(prod, fresh);
    await eventuallyBoth(fresh, 401, DOMAIN);
  });
});

describe('journey 2: sandbox against production keys', () => {
  it('each key type reaches its own endpoint; only production is domain-restricted', async () => {
    const sandboxToken = await clientToken(sandbox);
    const prodToken = await clientToken(prod);
    for (const a of await assertBoth(sandboxToken, 200, undefined, `${DEMO.apiContext}/echo?x=1`)) {
      const echo = JSON.parse(a.body) as {
        environment: string;
        path: string;
        headers: Record<string, string>;
      };
      assert.equal(echo.environment, 'sandbox');
      assert.equal(echo.path, '/sandbox/echo');
      assert.equal(echo.headers['authorization'], undefined, 'the access token is not forwarded');
      assert.ok(echo.headers['x-jwt-assertion'], 'a backend JWT is forwarded');
    }
    for (const a of await assertBoth(prodToken, 200, DOMAIN, `${DEMO.apiContext}/echo?x=1`)) {
      const echo = JSON.parse(a.body) as { environment: string; path: string };
      assert.equal(echo.environment, 'production');
      assert.equal(echo.path, '/production/echo');
    }
    await assertBoth(prodToken, 403);
    const atom = await callApi(stack.gateways[1]!, SEARCH, sandboxToken);
    assert.match(atom.body, /sandbox result for cat/);
  });
});

describe('journey 3: validity', () => {
  const tokenPath = () => `/api/v1/applications/${keys.applicationId}/keys/SANDBOX/token`;

  it('a short-lived token expires on both replicas', async () => {
    const short = await developer.call('POST', tokenPath(), { validitySeconds: 2 });
    assert.equal(short.status, 200, JSON.stringify(short.body));
    assert.equal(short.body.expiresIn, 2);
    const token = String(short.body.accessToken);
    await assertBoth(token, 200);
    await eventuallyBoth(token, 401);
    const answer = await callApi(stack.gateways[0]!, SEARCH, token);
    assert.match(answer.body, /expired|not valid/);
  });

  it('a negative validity never expires: no exp, accepted by both replicas', async () => {
    const forever = await developer.call('POST', tokenPath(), { validitySeconds: -1 });
    assert.equal(forever.status, 200, JSON.stringify(forever.body));
    assert.equal(forever.body.expiresIn, null);
    const token = String(forever.body.accessToken);
    const claims = await oidc.tokenIntrospection(gatewayClient, token);
    assert.equal(claims.active, true);
    assert.equal(claims.exp, undefined, 'no expiry');
    await assertBoth(token, 200);
  });
});

describe('journey 4: user tokens', () => {
  const user = () => ({ username: DEMO.endUser, password: stack.secrets['DEMO_USER_PASSWORD']! });

  it('password grant, call as the user, refresh, revoke the grant', async () => {
    const first = await oidc.genericGrantRequest(prod, 'password', user());
    assert.ok(first.refresh_token, 'a refresh token');
    const [a] = await assertBoth(first.access_token, 200, DOMAIN, `${DEMO.apiContext}/echo`);
    const echo = JSON.parse(a!.body) as { headers: Record<string, string> };
    const backendJwt = String(echo.headers['x-jwt-assertion']);
    const payload = JSON.parse(Buffer.from(backendJwt.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.match(JSON.stringify(payload), /demo-user/, 'the upstream learns the end user');

    const refreshed = await oidc.refreshTokenGrant(prod, first.refresh_token);
    assert.notEqual(refreshed.access_token, first.access_token);
    await assertBoth(refreshed.access_token, 200, DOMAIN);

    await oidc.tokenRevocation(prod, refreshed.refresh_token ?? first.refresh_token, {
      token_type_hint: 'refresh_token',
    });
    await eventuallyBoth(refreshed.access_token, 401, DOMAIN);
    await assert.rejects(oidc.refreshTokenGrant(prod, refreshed.refresh_token ?? first.refresh_token));
  });

  it('authorization code with PKCE at the login form, then refresh', async () => {
    const redirectUri = 'http://127.0.0.1:9/e2e/callback';
    const patched = await developer.call(
      'PATCH',
      `/api/v1/applications/${keys.applicationId}/keys/PRODUCTION`,
      {
        grantTypes: [...DEMO.grantTypes, 'authorization_code'],
        callbackUrls: [redirectUri],
      },
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(prod, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await new FormBrowser().signIn(url.href, user(), redirectUri);
    assert.ok(callback.searchParams.get('code'), callback.href);
    const tokens = await oidc.authorizationCodeGrant(prod, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    await assertBoth(tokens.access_token, 200, DOMAIN);
    assert.ok(tokens.refresh_token);
    const refreshed = await oidc.refreshTokenGrant(prod, tokens.refresh_token);
    await assertBoth(refreshed.access_token, 200, DOMAIN);
    await oidc.tokenRevocation(prod, refreshed.access_token);
    await eventuallyBoth(refreshed.access_token, 401, DOMAIN);
  });
});

describe('journey 5: every revocation path reaches both replicas', () => {
  it('the revoke endpoint', async () => {
    const token = await clientToken(sandbox);
    await assertBoth(token, 200);
    await oidc.tokenRevocation(sandbox, token);
    await eventuallyBoth(token, 401);
  });

  it('regenerating the application token', async () => {
    const token = await clientToken(sandbox);
    await assertBoth(token, 200);
    const res = await developer.call(
      'POST',
      `/api/v1/applications/${keys.applicationId}/keys/SANDBOX/token`,
      {},
    );
    assert.equal(res.status, 200);
    await eventuallyBoth(token, 401);
    await assertBoth(String(res.body.accessToken), 200);
  });

  it('regenerating the consumer secret', async () => {
    const token = await clientToken(sandbox);
    await assertBoth(token, 200);
    const res = await developer.call(
      'POST',
      `/api/v1/applications/${keys.applicationId}/keys/SANDBOX/secret`,
    );
    assert.equal(res.status, 200);
    await eventuallyBoth(token, 401);
    await assert.rejects(clientToken(sandbox), 'the old secret no longer works');
    sandbox = await oauthClient(stack.keyManagerUrl, keys.sandbox.clientId, String(res.body.consumerSecret));
    await assertBoth(await clientToken(sandbox), 200);
  });

  it('deleting the application', async () => {
    const other = await seed('Journey5Delete');
    const token = await clientToken(
      await oauthClient(stack.keyManagerUrl, other.sandbox.clientId, other.sandbox.clientSecret),
    );
    // a new application reaches the gateways' read model through Kafka
    await eventuallyBoth(token, 200);
    assert.equal((await developer.call('DELETE', `/api/v1/applications/${other.applicationId}`)).status, 204);
    await eventuallyBoth(token, 401);
  });

  it('unsubscribing', async () => {
    const other = await seed('Journey5Unsubscribe');
    const token = await clientToken(
      await oauthClient(stack.keyManagerUrl, other.sandbox.clientId, other.sandbox.clientSecret),
    );
    // a new application reaches the gateways' read model through Kafka
    await eventuallyBoth(token, 200);
    assert.equal(
      (await developer.call('DELETE', `/api/v1/subscriptions/${other.subscriptionId}`)).status,
      204,
    );
    await eventuallyBoth(token, 403);
  });

  async function userToken(domain: string, name: string): Promise<string> {
    const password = `pw-${name}-0123456789`;
    const created = await kmAdmin(
      stack.keyManagerAdminUrl,
      stack.secrets['KEY_MANAGER_ADMIN_TOKEN']!,
      'POST',
      `/admin/userstores/${domain}/users`,
      { username: name, password },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const username = domain === 'PRIMARY' ? name : `${domain}/${name}`;
    return (await oidc.genericGrantRequest(prod, 'password', { username, password })).access_token;
  }

  it('disabling the user', async () => {
    const token = await userToken('PRIMARY', 'j5-disabled');
    const control = await userToken('PRIMARY', 'j5-control');
    await assertBoth(token, 200, DOMAIN);
    const res = await kmAdmin(
      stack.keyManagerAdminUrl,
      stack.secrets['KEY_MANAGER_ADMIN_TOKEN']!,
      'PATCH',
      '/admin/userstores/PRIMARY/users/j5-disabled',
      { enabled: false },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await eventuallyBoth(token, 401, DOMAIN);
    await assertBoth(control, 200, DOMAIN);
  });

  it('revoking a user-store domain', async () => {
    const partner = await userToken('PARTNERS.EXAMPLE.COM', 'j5-partner');
    const primary = await userToken('PRIMARY', 'j5-primary');
    await assertBoth(partner, 200, DOMAIN);
    await assertBoth(primary, 200, DOMAIN);
    const res = await kmAdmin(
      stack.keyManagerAdminUrl,
      stack.secrets['KEY_MANAGER_ADMIN_TOKEN']!,
      'POST',
      '/admin/revocations',
      { domain: 'PARTNERS.EXAMPLE.COM' },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await eventuallyBoth(partner, 401, DOMAIN);
    await assertBoth(primary, 200, DOMAIN);
  });
});
