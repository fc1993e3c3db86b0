/**
 * Bad input and hostile callers: every OAuth endpoint answers RFC 6749 error bodies, malformed
 * or oversized input is a 4xx (never 500), the token endpoint is rate limited, and no token,
 * code or secret reaches the logs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { memoryLogger } from '@portico/testing';
import type { Running } from './harness.ts';
import { basic, createClient, GATEWAY_ID, GATEWAY_SECRET, startKeyManager, tokenRequest } from './harness.ts';

const log = memoryLogger('key-manager', 'debug');
let km: Running;
let client: { id: string; secret: string };

before(async () => {
  km = await startKeyManager({ TOKEN_RATE_LIMIT_PER_CLIENT: '1000' }, { logger: log.logger });
  const c = await createClient(km, { grantTypes: ['client_credentials', 'password', 'refresh_token'] });
  client = { id: c.clientId, secret: c.clientSecret };
});
after(async () => {
  await km?.close();
});

type Call = { name: string; path: string; init: RequestInit };
const form = (body: string, auth?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
  body,
});

function assertOAuthError(status: number, body: unknown, name: string): void {
  assert.ok(status >= 400 && status < 500, `${name}: status ${status}`);
  const b = body as Record<string, unknown>;
  assert.equal(typeof b['error'], 'string', `${name}: ${JSON.stringify(body)}`);
  assert.match(b['error'] as string, /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
}

describe('RFC 6749 error bodies, 4xx never 500', () => {
  test('token, introspection and revocation endpoints', async () => {
    const auth = () => basic(client.id, client.secret);
    const calls: Call[] = [
      { name: 'no grant_type', path: '/token', init: form('', auth()) },
      { name: 'unknown grant', path: '/token', init: form('grant_type=magic', auth()) },
      { name: 'no client auth', path: '/token', init: form('grant_type=client_credentials') },
      { name: 'garbage basic', path: '/token', init: form('grant_type=client_credentials', 'Basic %%%') },
      {
        name: 'basic without colon',
        path: '/token',
        init: form('grant_type=client_credentials', `Basic ${Buffer.from('x').toString('base64')}`),
      },
      {
        name: 'json body',
        path: '/token',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth() },
          body: '{"grant_type":"client_credentials"}',
        },
      },
      {
        name: 'no content type',
        path: '/token',
        init: { method: 'POST', headers: { authorization: auth() }, body: 'grant_type=client_credentials' },
      },
      {
        name: 'oversized body',
        path: '/token',
        init: form(`grant_type=client_credentials&x=${'a'.repeat(200_000)}`, auth()),
      },
      {
        name: 'duplicate grant_type',
        path: '/token',
        init: form('grant_type=client_credentials&grant_type=password', auth()),
      },
      {
        name: 'invalid scope chars',
        path: '/token',
        init: form('grant_type=client_credentials&scope=%22%5C', auth()),
      },
      {
        name: 'unknown refresh token',
        path: '/token',
        init: form('grant_type=refresh_token&refresh_token=nope', auth()),
      },
      {
        name: 'huge refresh token',
        path: '/token',
        init: form(`grant_type=refresh_token&refresh_token=${'A~'.repeat(20_000)}`, auth()),
      },
      {
        name: 'unknown code',
        path: '/token',
        init: form(
          'grant_type=authorization_code&code=nope&redirect_uri=https://x/cb&code_verifier=abc',
          auth(),
        ),
      },
      {
        name: 'password without password',
        path: '/token',
        init: form('grant_type=password&username=alice', auth()),
      },
      {
        name: 'password bad domain',
        path: '/token',
        init: form('grant_type=password&username=..%2F..%2Fx&password=y', auth()),
      },
      {
        name: 'resource not ours',
        path: '/token',
        init: form('grant_type=client_credentials&resource=https://evil.example/', auth()),
      },
      { name: 'introspection unauthenticated', path: '/token/introspection', init: form('token=abc') },
      {
        name: 'introspection no token',
        path: '/token/introspection',
        init: form('', basic(GATEWAY_ID, GATEWAY_SECRET)),
      },
      { name: 'revocation no token', path: '/token/revocation', init: form('', auth()) },
      { name: 'revocation unauthenticated', path: '/token/revocation', init: form('token=abc') },
    ];
    for (const call of calls) {
      const res = await fetch(`${km.issuer}${call.path}`, call.init);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        assert.fail(`${call.name}: not JSON (${res.status}): ${text.slice(0, 200)}`);
      }
      assertOAuthError(res.status, body, call.name);
      assert.equal(res.headers.get('cache-control'), 'no-store', call.name);
    }
  });

  test('malformed tokens at introspection and revocation are inactive / ignored, not errors', async () => {
    for (const token of [
      'x',
      'Z~abc',
      'a.b.c',
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      '~',
      'A~'.repeat(3000),
    ]) {
      const i = await fetch(
        `${km.issuer}/token/introspection`,
        form(new URLSearchParams({ token }).toString(), basic(GATEWAY_ID, GATEWAY_SECRET)),
      );
      assert.equal(i.status, 200, token.slice(0, 20));
      assert.deepEqual(await i.json(), { active: false });
      const r = await fetch(
        `${km.issuer}/token/revocation`,
        form(new URLSearchParams({ token }).toString(), basic(client.id, client.secret)),
      );
      assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${r.status}`);
    }
  });

  test('unexpected methods and paths are 4xx, never 500', async () => {
    const probes: Array<[string, string]> = [
      ['GET', '/token'],
      ['PUT', '/token'],
      ['DELETE', '/token/revocation'],
      ['GET', '/token/introspection'],
      ['POST', '/jwks'],
      ['POST', '/.well-known/openid-configuration'],
      ['GET', '/interaction/%E0%A4%A'],
      ['GET', '/auth/%00'],
      ['GET', '/session/end/confirm'],
      ['POST', '/me'],
      ['GET', '/nothing-here'],
    ];
    for (const [method, path] of probes) {
      const res = await fetch(`${km.issuer}${path}`, { method, redirect: 'manual' });
      await res.arrayBuffer();
      assert.ok(res.status >= 300 && res.status < 500, `${method} ${path} → ${res.status}`);
    }
  });

  test('userinfo without a token is 401 with WWW-Authenticate', async () => {
    const res = await fetch(`${km.issuer}/me`);
    assert.equal(res.status, 401);
    assert.ok(res.headers.get('www-authenticate')?.startsWith('Bearer'));
    assertOAuthError(res.status, await res.json(), 'userinfo');
  });

  test('authorization endpoint errors never become 500', async () => {
    for (const qs of [
      '',
      'client_id=nope',
      `client_id=${client.id}&response_type=token`,
      'client_id=%00%FF',
      `redirect_uri=${'x'.repeat(10_000)}`,
    ]) {
      const res = await fetch(`${km.issuer}/auth?${qs}`, { redirect: 'manual' });
      assert.ok(res.status >= 300 && res.status < 500, `${qs.slice(0, 40)} → ${res.status}`);
    }
    const interaction = await fetch(`${km.issuer}/interaction/doesnotexist`);
    assert.equal(interaction.status, 400);
    const login = await fetch(`${km.issuer}/interaction/doesnotexist/login`, form('username=a&password=b'));
    assert.equal(login.status, 400);
  });

  test('pages rendered by oidc-provider (logout, errors) carry a CSP; only hash-pinned script', async () => {
    for (const path of ['/session/end', '/auth?client_id=nope']) {
      const res = await fetch(`${km.issuer}${path}`, { redirect: 'manual' });
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline/, path);
      // The only script allowed is oidc-provider's form_post auto-submit, pinned by its hash.
      const html = await res.text();
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
      if (script !== undefined) {
        const digest = createHash('sha256').update(script).digest('base64');
        assert.ok(csp.includes(`'sha256-${digest}'`), `${path}: inline script not pinned by the CSP`);
      }
    }
  });

  test('admin API: invalid JSON is 400, oversized body 413', async () => {
    const bad = await fetch(`${km.admin}/admin/clients`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer test-admin-token-0123456789abcdef',
        'content-type': 'application/json',
      },
      body: '{"applicationId":',
    });
    assert.equal(bad.status, 400);
    const big = await fetch(`${km.admin}/admin/clients`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer test-admin-token-0123456789abcdef',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ applicationId: 'a'.repeat(200_000) }),
    });
    assert.equal(big.status, 413);
  });
});

describe('protection', () => {
  test('token endpoint rate limit per client answers 429 with Retry-After', async () => {
    const limited = await startKeyManager({ TOKEN_RATE_LIMIT_PER_CLIENT: '3' });
    try {
      const c = await createClient(limited, {});
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i += 1) {
        last = await tokenRequest(
          limited,
          { id: c.clientId, secret: c.clientSecret },
          { grant_type: 'client_credentials' },
        );
        statuses.push(last.status);
        if (last.status === 429) break;
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.ok(Number(last?.headers.get('retry-after')) > 0);
      assertOAuthError(429 - 1, await last?.json(), 'rate limit');
      // Another client is not affected.
      const other = await createClient(limited, {});
      assert.equal(
        (
          await tokenRequest(
            limited,
            { id: other.clientId, secret: other.clientSecret },
            { grant_type: 'client_credentials' },
          )
        ).status,
        200,
      );
    } finally {
      await limited.close();
    }
  });

  test('login form submissions are rate limited per IP (429, HTML)', async () => {
    const limited = await startKeyManager({ LOGIN_RATE_LIMIT_PER_IP: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(
          `${limited.issuer}/interaction/any/login`,
          form('username=alice&password=guess'),
        );
        statuses.push(res.status);
        if (res.status === 429) {
          assert.ok(res.headers.get('retry-after'));
          assert.match(res.headers.get('content-type') ?? '', /html/);
        }
      }
      assert.deepEqual(statuses, [400, 400, 429]);
    } finally {
      await limited.close();
    }
  });

  test('no token, secret or password in the logs', async () => {
    await km.adminFetch('/admin/userstores/PRIMARY/users', {
      method: 'POST',
      body: { username: 'logtest', password: 'very secret password' },
    });
    const pw = await tokenRequest(km, client, {
      grant_type: 'password',
      username: 'logtest',
      password: 'very secret password',
    });
    const tokens = (await pw.json()) as { access_token: string; refresh_token: string };
    const cc = (await (await tokenRequest(km, client, { grant_type: 'client_credentials' })).json()) as {
      access_token: string;
    };
    await tokenRequest(km, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    await fetch(
      `${km.issuer}/token/introspection?token=${cc.access_token}`,
      form(`token=${cc.access_token}`, basic(GATEWAY_ID, GATEWAY_SECRET)),
    );
    const lines = log.lines().join('\n');
    assert.ok(lines.length > 0, 'something was logged');
    for (const secret of [
      tokens.access_token,
      tokens.refresh_token,
      cc.access_token,
      client.secret,
      'very secret password',
      GATEWAY_SECRET,
    ]) {
      assert.ok(!lines.includes(secret), 'a credential reached the logs');
    }
  });
});
