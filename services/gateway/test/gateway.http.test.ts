/**
 * The whole plugin chain in process, with a real echo upstream and the in-memory twin of the
 * introspection port: routing, every 4xx/5xx row of the failure policy that does not need
 * Kafka or a stopped dependency, header hygiene and the backend JWT.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { makeEvent } from '@portico/events';
import { waitFor } from '@portico/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { InMemoryIntrospector } from '../src/auth/introspection.ts';
import type { EchoRequest, EchoUpstream } from './support/echo-upstream.ts';
import { rawRequest, startEchoUpstream } from './support/echo-upstream.ts';
import { appTokenClaims, snapshotFixture } from './support/fixtures.ts';
import type { TestGateway } from './support/inprocess.ts';
import { startTestGateway } from './support/inprocess.ts';

let upstream: EchoUpstream;
let gw: TestGateway;
let loaded = true;
const km = new InMemoryIntrospector();
const PROD = 'tok-prod-1';
const SANDBOX = 'tok-sandbox-1';
const RESTRICTED = 'tok-restricted-1';

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(`${gw.url}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { res, body: body as Record<string, unknown> & { error?: { code: string; message: string } } };
}

before(async () => {
  upstream = await startEchoUpstream();
  km.register(PROD, appTokenClaims('client-prod', 'PRODUCTION', { scope: 'default read:tweets' }));
  km.register(SANDBOX, appTokenClaims('client-sandbox', 'SANDBOX'));
  km.register(RESTRICTED, appTokenClaims('client-restricted', 'PRODUCTION'));
  const snapshot = snapshotFixture({ upstreamUrl: upstream.url });
  gw = await startTestGateway({ snapshot, introspector: km, revocationsLoaded: () => loaded });
  // A second application whose production key is restricted to two domains.
  gw.model.apply(
    makeEvent(
      'application.upserted',
      {
        revision: 1,
        applicationId: 'app_restricted',
        name: 'Restricted',
        owner: 'PRIMARY/bob',
        tier: null,
        keys: [
          {
            keyType: 'PRODUCTION',
            clientId: 'client-restricted',
            allowedDomains: ['app.example.com', '*.partner.org'],
          },
        ],
      },
      'test',
    ),
  );
  gw.model.apply(
    makeEvent(
      'subscription.upserted',
      {
        revision: 1,
        subscriptionId: 'sub_r',
        applicationId: 'app_restricted',
        apiId: 'api_twitter',
        tier: 'Gold',
        status: 'ACTIVE',
      },
      'test',
    ),
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
});

const lastSeen = (): EchoRequest => {
  const r = upstream.requests.at(-1);
  assert.ok(r, 'upstream saw no request');
  return r;
};

describe('routing', () => {
  it('forwards a production key to the production endpoint with the path after the context', async () => {
    const { res, body } = await call('/twitter/1.0.0/search.atom?q=cat', { token: PROD });
    assert.equal(res.status, 200);
    assert.equal(body['url'], '/prod/search.atom?q=cat');
    assert.equal(res.headers.get('x-upstream'), 'echo');
  });

  it('forwards a sandbox key to the sandbox endpoint', async () => {
    const { res, body } = await call('/twitter/1.0.0/search', { token: SANDBOX });
    assert.equal(res.status, 200);
    assert.equal(body['url'], '/sandbox/search');
  });

  it('rejects a sandbox key on an API without a sandbox endpoint (403 no_sandbox_endpoint)', async () => {
    const { res, body } = await call('/nosandbox/1.0.0/x', { token: SANDBOX });
    assert.equal(res.status, 403);
    assert.equal(body.error?.code, 'no_sandbox_endpoint');
  });

  it('answers 404 for an unknown API and for an API not yet published', async () => {
    for (const path of ['/nope/1.0.0/x', '/twitter/2.0.0/x', '/created/1.0.0/x', '/twitter']) {
      const { res, body } = await call(path, { token: PROD });
      assert.equal(res.status, 404, path);
      assert.equal(body.error?.code, 'api_not_found');
    }
  });

  it('answers 403 api_blocked for a blocked API and 410 api_retired for a retired one', async () => {
    const blocked = await call('/blocked/1.0.0/x', { token: PROD });
    assert.equal(blocked.res.status, 403);
    assert.equal(blocked.body.error?.code, 'api_blocked');
    const retired = await call('/retired/1.0.0/x', { token: PROD });
    assert.equal(retired.res.status, 410);
    assert.equal(retired.body.error?.code, 'api_retired');
  });

  it('refuses encoded traversal and ambiguous paths with 400 before any upstream call', async () => {
    const before = upstream.requests.length;
    for (const path of [
      '/twitter/1.0.0/%2e%2e/admin',
      '/twitter/1.0.0/a%2fb',
      '/twitter/1.0.0/a%5cb',
      '/twitter/1.0.0//x',
      '/twitter/1.0.0/..;/x',
      '/twitter/1.0.0/%252e%252e/x',
      '/twitter/1.0.0/%zz',
      '/twitter/1.0.0/a%00b',
    ]) {
      // fetch would normalize the path: send it byte for byte.
      const { status, body } = await rawRequest(gw.url, path, { authorization: `Bearer ${PROD}` });
      assert.equal(status, 400, path);
      assert.equal((body as { error?: { code?: string } }).error?.code, 'invalid_path', path);
    }
    assert.equal(upstream.requests.length, before);
  });
});

describe('failure policy: RFC 6750 §3 answers', () => {
  const cases: Array<[string, Record<string, string>, number, string, string]> = [
    ['no credentials', {}, 401, 'Bearer', 'missing_token'],
    [
      'a non-Bearer scheme (no bearer credentials)',
      { authorization: 'Basic dXNlcjpwYXNz' },
      401,
      'Bearer',
      'missing_token',
    ],
    [
      'an unknown token',
      { authorization: 'Bearer tok-unknown' },
      401,
      'Bearer error="invalid_token"',
      'unknown_token',
    ],
    [
      'a token outside the b64token syntax',
      { authorization: 'Bearer a"b' },
      400,
      'Bearer error="invalid_request"',
      'malformed_token',
    ],
    [
      'Bearer without a token',
      { authorization: 'Bearer ' },
      400,
      'Bearer error="invalid_request"',
      'malformed_token',
    ],
    [
      'two tokens',
      { authorization: 'Bearer abc def' },
      400,
      'Bearer error="invalid_request"',
      'malformed_token',
    ],
  ];
  for (const [name, headers, status, challenge, code] of cases) {
    it(`${name}: ${status}, WWW-Authenticate: ${challenge}, never cacheable`, async () => {
      const { res, body } = await call('/twitter/1.0.0/x', { headers });
      assert.equal(res.status, status);
      assert.equal(res.headers.get('www-authenticate'), challenge);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(body.error?.code, code);
    });
  }

  it('answers 401 expired_token for an expired token', async () => {
    km.register(
      'tok-expired',
      appTokenClaims('client-prod', 'PRODUCTION', { exp: Math.floor(Date.now() / 1000) + 1 }),
    );
    assert.equal((await call('/twitter/1.0.0/x', { token: 'tok-expired' })).res.status, 200);
    // The cached facts carry exp: once it is past, the cached entry answers expired, not valid.
    const { res, body } = await waitFor(
      async () => {
        const r = await call('/twitter/1.0.0/x', { token: 'tok-expired' });
        return r.res.status === 401 ? r : undefined;
      },
      { timeoutMs: 5000, intervalMs: 200, message: 'expired token still accepted' },
    );
    assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.ok(['expired_token', 'unknown_token'].includes(body.error?.code ?? ''), body.error?.code);
  });

  it('answers 401 revoked_token once the deny-list has the token, even when cached', async () => {
    km.register('tok-revoke-me', appTokenClaims('client-prod', 'PRODUCTION'));
    assert.equal((await call('/twitter/1.0.0/x', { token: 'tok-revoke-me' })).res.status, 200);
    const { tokenHash } = await import('../src/auth/facts.ts');
    gw.denyList.apply(
      makeEvent(
        'token.revoked',
        { tokenHash: tokenHash('tok-revoke-me'), clientId: 'client-prod', expiresAt: null },
        'test',
      ),
    );
    const { res, body } = await call('/twitter/1.0.0/x', { token: 'tok-revoke-me' });
    assert.equal(res.status, 401);
    assert.equal(body.error?.code, 'revoked_token');
  });
});

describe('failure policy: 403 with a machine code', () => {
  it('not_subscribed when the application has no subscription to the API', async () => {
    const { res, body } = await call('/unsubscribed/1.0.0/x', { token: PROD });
    assert.equal(res.status, 403);
    assert.equal(body.error?.code, 'not_subscribed');
  });

  it('key_type_mismatch when the token key type differs from its application key', async () => {
    km.register('tok-mismatch', appTokenClaims('client-prod', 'SANDBOX'));
    const { res, body } = await call('/twitter/1.0.0/x', { token: 'tok-mismatch' });
    assert.equal(res.status, 403);
    assert.equal(body.error?.code, 'key_type_mismatch');
  });

  it('insufficient_scope when the token lacks a scope the API declares', async () => {
    const ok = await call('/scoped/1.0.0/x', { token: PROD });
    assert.equal(ok.res.status, 200);
    km.register('tok-noscope', appTokenClaims('client-prod', 'PRODUCTION', { scope: 'default' }));
    const { res, body } = await call('/scoped/1.0.0/x', { token: 'tok-noscope' });
    assert.equal(res.status, 403);
    assert.equal(body.error?.code, 'insufficient_scope');
    assert.equal(
      res.headers.get('www-authenticate'),
      'Bearer error="insufficient_scope", scope="read:tweets"',
    );
  });

  it('unknown_application when the client is in no application', async () => {
    km.register('tok-stranger', appTokenClaims('client-stranger', 'PRODUCTION'));
    const { res, body } = await call('/twitter/1.0.0/x', { token: 'tok-stranger' });
    assert.equal(res.status, 403);
    assert.equal(body.error?.code, 'unknown_application');
  });

  it('restricted key: domain header required, allowed hosts and URLs pass, others are refused', async () => {
    const missing = await call('/twitter/1.0.0/x', { token: RESTRICTED });
    assert.equal(missing.res.status, 403);
    assert.equal(missing.body.error?.code, 'domain_required');
    for (const origin of ['https://app.example.com', 'http://api.partner.org:8443']) {
      const ok = await call('/twitter/1.0.0/x', { token: RESTRICTED, headers: { origin } });
      assert.equal(ok.res.status, 200, origin);
    }
    const referer = await call('/twitter/1.0.0/x', {
      token: RESTRICTED,
      headers: { referer: 'https://app.example.com/page?x=1' },
    });
    assert.equal(referer.res.status, 200);
    for (const origin of [
      'https://evil.com',
      'https://partner.org',
      'https://app.example.com.evil.com',
      'null',
    ]) {
      const no = await call('/twitter/1.0.0/x', { token: RESTRICTED, headers: { origin } });
      assert.equal(no.res.status, 403, origin);
      assert.equal(no.body.error?.code, 'domain_not_allowed', origin);
    }
  });

  it('an unrestricted key needs no domain header', async () => {
    const { res } = await call('/twitter/1.0.0/x', { token: PROD });
    assert.equal(res.status, 200);
  });

  it('subscription_blocked, then not_subscribed after removal, applied without restart', async () => {
    km.register('tok-sub', appTokenClaims('client-prod', 'PRODUCTION'));
    gw.model.apply(
      makeEvent(
        'subscription.upserted',
        {
          revision: 2,
          subscriptionId: 'sub_api_noSandbox',
          applicationId: 'app_1',
          apiId: 'api_noSandbox',
          tier: 'Gold',
          status: 'BLOCKED',
        },
        'test',
      ),
    );
    const blocked = await call('/nosandbox/1.0.0/x', { token: 'tok-sub' });
    assert.equal(blocked.res.status, 403);
    assert.equal(blocked.body.error?.code, 'subscription_blocked');
    assert.equal(blocked.res.headers.get('cache-control'), 'no-store', 'a refusal is never cached');
    gw.model.apply(
      makeEvent(
        'subscription.deleted',
        { revision: 3, subscriptionId: 'sub_api_noSandbox', applicationId: 'app_1', apiId: 'api_noSandbox' },
        'test',
      ),
    );
    const removed = await call('/nosandbox/1.0.0/x', { token: 'tok-sub' });
    assert.equal(removed.body.error?.code, 'not_subscribed');
  });
});

describe('failure policy: 503 when the gateway cannot verify', () => {
  it('answers 503 with Retry-After while revocations are not loaded, never 200', async () => {
    loaded = false;
    try {
      const { res, body } = await call('/twitter/1.0.0/x', { token: PROD });
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.equal(body.error?.code, 'verification_unavailable');
    } finally {
      loaded = true;
    }
  });

  it('answers 503 with Retry-After for an uncached token while the key-manager is down; cached ones pass', async () => {
    km.register('tok-cached', appTokenClaims('client-prod', 'PRODUCTION'));
    km.register('tok-uncached', appTokenClaims('client-prod', 'PRODUCTION'));
    assert.equal((await call('/twitter/1.0.0/x', { token: 'tok-cached' })).res.status, 200);
    km.down = true;
    try {
      const uncached = await call('/twitter/1.0.0/x', { token: 'tok-uncached' });
      assert.equal(uncached.res.status, 503);
      assert.ok(Number(uncached.res.headers.get('retry-after')) > 0);
      assert.equal((await call('/twitter/1.0.0/x', { token: 'tok-cached' })).res.status, 200);
    } finally {
      km.down = false;
    }
  });
});

describe('failure policy: upstream errors', () => {
  it('answers 502 without internals when the upstream refuses the connection', async () => {
    const { res, body } = await call('/refused/1.0.0/x', { token: PROD });
    assert.equal(res.status, 502);
    assert.equal(body.error?.code, 'bad_gateway');
    assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|ECONNREFUSED|:1\b/);
  });

  it('cuts the client connection when the upstream fails after its answer has started', async () => {
    const res = await fetch(`${gw.url}/twitter/1.0.0/cut`, { headers: { authorization: `Bearer ${PROD}` } });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), 'an incomplete body is never passed off as a whole one');
  });

  it('stops the upstream request when the client goes away', async () => {
    const before = upstream.abandoned();
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/twitter/1.0.0/slow`, {
      headers: { authorization: `Bearer ${PROD}` },
      signal: controller.signal,
    });
    await waitFor(() => lastSeen().url === '/prod/slow', { timeoutMs: 2000 });
    controller.abort();
    await assert.rejects(pending);
    await waitFor(() => upstream.abandoned() > before, { timeoutMs: 2000 });
  });

  it('answers 504 without internals when the upstream does not answer in time', async () => {
    const { res, body } = await call('/twitter/1.0.0/slow', { token: PROD });
    assert.equal(res.status, 504);
    assert.equal(body.error?.code, 'gateway_timeout');
    assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|timeout ms|ETIMEDOUT/);
  });
});

describe('outbound hygiene and backend JWT', () => {
  it('forwards request bodies intact, with a length or chunked', async () => {
    const json = JSON.stringify({ tweet: 'héllo', n: [1, 2, 3] });
    const sized = await call('/twitter/1.0.0/statuses', {
      token: PROD,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    assert.equal(sized.res.status, 200);
    assert.equal(lastSeen().method, 'POST');
    assert.equal(lastSeen().body, json);
    assert.equal(lastSeen().headers['content-length'], String(Buffer.byteLength(json)));
    const parts = ['first,', 'second,', 'third'];
    const streamed = await call('/twitter/1.0.0/upload', {
      token: PROD,
      method: 'PUT',
      body: new ReadableStream({
        start(c) {
          for (const p of parts) c.enqueue(new TextEncoder().encode(p));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.res.status, 200);
    assert.equal(lastSeen().body, parts.join(''));
    // curl sends `Expect: 100-continue` before bodies over 1 KiB.
    const big = 'x'.repeat(4096);
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(gw.url);
      const out = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/twitter/1.0.0/statuses',
          headers: { authorization: `Bearer ${PROD}`, expect: '100-continue', 'content-length': big.length },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      out.on('continue', () => out.end(big));
      out.on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(lastSeen().body, big);
  });

  it("passes the upstream's status and repeated headers back, without its hop-by-hop headers", async () => {
    const { res } = await call('/twitter/1.0.0/status-201', { token: PROD });
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    assert.equal(res.headers.get('x-hop'), null, 'a header the upstream named in Connection');
    const missing = await call('/twitter/1.0.0/status-404', { token: PROD });
    assert.equal(missing.res.status, 404, "the upstream's own 404 is not the gateway's");
  });

  it('strips Authorization, access_token and spoofed identity headers; keeps the rest', async () => {
    const { res } = await call('/twitter/1.0.0/x?a=1&access_token=leak&b=2', {
      token: PROD,
      headers: {
        'x-jwt-assertion': 'forged',
        'x-user': 'admin',
        'x-portico-app': 'x',
        'x-forwarded-for': '6.6.6.6',
        'x-custom': 'kept',
      },
    });
    assert.equal(res.status, 200);
    const seen = lastSeen();
    assert.equal(seen.headers['authorization'], undefined);
    assert.equal(seen.url, '/prod/x?a=1&b=2');
    assert.equal(seen.headers['x-user'], undefined);
    assert.equal(seen.headers['x-portico-app'], undefined);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.notEqual(seen.headers['x-forwarded-for'], '6.6.6.6');
    assert.notEqual(seen.headers['x-jwt-assertion'], 'forged');
  });

  it("forwarded and client-address headers are the gateway's: spoofed ones, underscore spellings and a malformed Host never reach the upstream", async () => {
    const spoofed = {
      authorization: `Bearer ${PROD}`,
      'x-forwarded-port': '1',
      'x-forwarded-prefix': '/admin',
      'x-real-ip': '6.6.6.6',
      'true-client-ip': '6.6.6.6',
      'cf-connecting-ip': '6.6.6.6',
      'x-original-url': '/admin/delete',
      x_jwt_assertion: 'forged',
      x_user: 'admin',
      'x-request-id': 'bad id with spaces',
      'x-custom': 'kept',
    };
    const good = await rawRequest(gw.url, '/twitter/1.0.0/x', { ...spoofed, host: 'api.example.com:8443' });
    assert.equal(good.status, 200);
    const seen = lastSeen().headers;
    for (const name of Object.keys(spoofed)) {
      if (name === 'authorization' || name === 'x-custom' || name === 'x-request-id') continue;
      assert.equal(seen[name], undefined, name);
    }
    assert.equal(seen['x-custom'], 'kept');
    assert.equal(seen['x-forwarded-host'], 'api.example.com:8443', 'a well-formed Host is forwarded');
    assert.match(String(seen['x-request-id']), /^[0-9a-f-]{36}$/, 'a malformed request id is replaced');

    const bad = await rawRequest(gw.url, '/twitter/1.0.0/x', {
      authorization: `Bearer ${PROD}`,
      host: 'evil.example/<script>',
    });
    assert.equal(bad.status, 200);
    assert.equal(lastSeen().headers['x-forwarded-host'], undefined, 'a malformed Host is not repeated');
  });

  it('the upstream verifies the backend JWT with the gateway JWKS and reads the caller from it', async () => {
    await call('/twitter/1.0.0/x', { token: PROD });
    const assertion = lastSeen().headers['x-jwt-assertion'];
    assert.equal(typeof assertion, 'string');
    const jwks = createRemoteJWKSet(new URL(`${gw.adminUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(assertion as string, jwks, {
      issuer: 'portico-gateway',
      audience: '/twitter/1.0.0',
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload['client_id'], 'client-prod');
    assert.equal(payload['key_type'], 'PRODUCTION');
    assert.equal(payload['subscriber'], 'PRIMARY/alice');
    assert.equal(payload['tier'], 'Gold');
    assert.deepEqual((payload['application'] as Record<string, unknown>)['id'], 'app_1');
    assert.equal(payload['end_user'], null);
  });

  it('reuses the signed backend JWT for the same token and API until the subscription changes', async () => {
    km.register('tok-reuse', appTokenClaims('client-prod', 'PRODUCTION'));
    await call('/twitter/1.0.0/x', { token: 'tok-reuse' });
    const first = lastSeen().headers['x-jwt-assertion'];
    await call('/twitter/1.0.0/y', { token: 'tok-reuse' });
    assert.equal(lastSeen().headers['x-jwt-assertion'], first);
    gw.model.apply(
      makeEvent(
        'subscription.upserted',
        {
          revision: 7,
          subscriptionId: 'sub_api_twitter',
          applicationId: 'app_1',
          apiId: 'api_twitter',
          tier: 'Unlimited',
          status: 'ACTIVE',
        },
        'test',
      ),
    );
    await call('/twitter/1.0.0/z', { token: 'tok-reuse' });
    const renewed = lastSeen().headers['x-jwt-assertion'];
    assert.notEqual(renewed, first);
    const jwks = createRemoteJWKSet(new URL(`${gw.adminUrl}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(String(renewed), jwks, { issuer: 'portico-gateway' });
    assert.equal(payload['tier'], 'Unlimited');
  });

  it('refuses to start with an unusable signing key, without echoing it', async () => {
    const { BackendJwtSigner } = await import('../src/proxy/backend-jwt.ts');
    await assert.rejects(
      BackendJwtSigner.create({ key: 'not-a-key-secret-material', issuer: 'x', ttlSeconds: 60 }),
      (err: Error) => {
        assert.match(err.message, /BACKEND_JWT_SIGNING_KEY/);
        assert.doesNotMatch(err.message, /secret-material/);
        return true;
      },
    );
  });

  it('a forged assertion signed with another key does not verify against the gateway JWKS', async () => {
    const { generateKeyPair, SignJWT } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: gw.signer.kid })
      .setIssuer('portico-gateway')
      .setAudience('/twitter/1.0.0')
      .setExpirationTime('1m')
      .sign(privateKey);
    const jwks = createRemoteJWKSet(new URL(`${gw.adminUrl}/.well-known/jwks.json`));
    await assert.rejects(jwtVerify(forged, jwks, { issuer: 'portico-gateway' }));
  });

  it('keeps Authorization when REMOVE_OAUTH_HEADERS is off', async () => {
    const other = await startTestGateway({
      snapshot: snapshotFixture({ upstreamUrl: upstream.url }),
      introspector: km,
      env: { REMOVE_OAUTH_HEADERS: 'false', BACKEND_JWT_HEADER: 'X-Backend-Token' },
    });
    try {
      const res = await fetch(`${other.url}/twitter/1.0.0/x?access_token=kept`, {
        headers: { authorization: `Bearer ${PROD}` },
      });
      assert.equal(res.status, 200);
      const seen = lastSeen();
      assert.equal(seen.headers['authorization'], `Bearer ${PROD}`);
      assert.equal(seen.url, '/prod/x?access_token=kept');
      assert.equal(typeof seen.headers['x-backend-token'], 'string');
    } finally {
      await other.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests by API and status, cache levels and validation sources', async () => {
    const text = await gw.metricsText();
    for (const pattern of [
      /gateway_requests_total\{api="api_twitter",status="200"/,
      /gateway_requests_total\{api="unmatched",status="404"/,
      /gateway_added_latency_seconds_bucket\{[^}]*api="api_twitter"/,
      /gateway_upstream_latency_seconds_bucket\{[^}]*api="api_twitter"/,
      /gateway_token_cache_lookups_total\{level="l1",result="hit"[^}]*\} [1-9]/,
      /gateway_token_cache_lookups_total\{level="l2",result="miss"[^}]*\} [1-9]/,
      /gateway_token_validations_total\{source="introspection",outcome="valid"[^}]*\} [1-9]/,
    ]) {
      assert.ok(pattern.test(text), `metrics lack ${pattern}`);
    }
  });
});

describe('rate limiting switch when Redis cannot be asked', () => {
  for (const mode of ['open', 'closed'] as const) {
    it(`RATE_LIMIT_FAIL_MODE=${mode}: ${mode === 'open' ? 'admits' : 'answers 503 with Retry-After'} while the limit store is down`, async () => {
      const { InMemoryRateLimitStore } = await import('../src/ratelimit/limiter.ts');
      const store = new InMemoryRateLimitStore();
      const other = await startTestGateway({
        snapshot: snapshotFixture({ upstreamUrl: upstream.url, tierRequests: 2, tierUnitSeconds: 3600 }),
        introspector: km,
        rateLimits: store,
        env: { RATE_LIMIT_FAIL_MODE: mode },
      });
      try {
        const get = () =>
          fetch(`${other.url}/twitter/1.0.0/x`, { headers: { authorization: `Bearer ${PROD}` } });
        const statuses = [(await get()).status, (await get()).status];
        const limited = await get();
        assert.deepEqual([...statuses, limited.status], [200, 200, 429]);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        assert.equal(limited.headers.get('ratelimit-limit'), '2');
        store.down = true;
        const res = await get();
        if (mode === 'open') assert.equal(res.status, 200);
        else {
          assert.equal(res.status, 503);
          assert.ok(Number(res.headers.get('retry-after')) > 0);
        }
      } finally {
        await other.close();
      }
    });
  }
});

describe('tier limits belong to the application x API pair', () => {
  it('unsubscribing and subscribing again does not reset the tier limit (a new subscription id, same pair)', async () => {
    const { InMemoryRateLimitStore } = await import('../src/ratelimit/limiter.ts');
    const other = await startTestGateway({
      snapshot: snapshotFixture({ upstreamUrl: upstream.url, tierRequests: 2, tierUnitSeconds: 3600 }),
      introspector: km,
      rateLimits: new InMemoryRateLimitStore(),
    });
    try {
      const get = async () =>
        (await fetch(`${other.url}/twitter/1.0.0/x`, { headers: { authorization: `Bearer ${PROD}` } }))
          .status;
      assert.deepEqual([await get(), await get(), await get()], [200, 200, 429]);
      other.model.apply(
        makeEvent(
          'subscription.deleted',
          { revision: 2, subscriptionId: 'sub_api_twitter', applicationId: 'app_1', apiId: 'api_twitter' },
          'test',
        ),
      );
      assert.equal(await get(), 403, 'unsubscribed');
      other.model.apply(
        makeEvent(
          'subscription.upserted',
          {
            revision: 1,
            subscriptionId: 'sub_api_twitter_again',
            applicationId: 'app_1',
            apiId: 'api_twitter',
            tier: 'Gold',
            status: 'ACTIVE',
          },
          'test',
        ),
      );
      assert.equal(await get(), 429, 'the budget spent before resubscribing is still spent');
    } finally {
      await other.close();
    }
  });
});

describe('resources that need no token (auth type None)', () => {
  const openApi = (revision: number) =>
    makeEvent(
      'api.upserted',
      {
        revision,
        apiId: 'api_open',
        name: 'open',
        version: '1.0.0',
        context: '/open/1.0.0',
        productionUrl: `${upstream.url}/prod`,
        sandboxUrl: null,
        scopes: [],
        lifecycle: 'PUBLISHED',
        openResources: [
          { method: 'GET', path: '/status' },
          { method: '*', path: '/public/*' },
          { method: 'GET', path: '/items/{id}' },
        ],
      },
      'test',
    );

  it('an anonymous call reaches the upstream only on the open resources (method and path pattern)', async () => {
    gw.model.apply(openApi(1));
    for (const path of ['/open/1.0.0/status', '/open/1.0.0/public/a/b', '/open/1.0.0/items/42']) {
      const { res } = await call(path);
      assert.equal(res.status, 200, path);
      assert.equal(lastSeen().url, path.replace('/open/1.0.0', '/prod'));
    }
    const before = upstream.requests.length;
    for (const [method, path] of [
      ['GET', '/open/1.0.0/private'],
      ['POST', '/open/1.0.0/status'],
      ['GET', '/open/1.0.0/items/42/more'],
      ['GET', '/open/1.0.0/statusx'],
    ] as const) {
      const { res, body } = await call(path, { method });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(body.error?.code, 'missing_token');
    }
    assert.equal(upstream.requests.length, before, 'nothing else reached the upstream');
  });

  it('a token sent to an open resource is not checked and never forwarded; no backend JWT vouches for anyone', async () => {
    gw.model.apply(openApi(2));
    const { res } = await call('/open/1.0.0/status?access_token=leak&x=1', {
      headers: { authorization: 'Bearer not-a-known-token' },
    });
    assert.equal(res.status, 200);
    const seen = lastSeen();
    assert.equal(seen.headers['authorization'], undefined);
    assert.equal(seen.url, '/prod/status?x=1');
    assert.equal(seen.headers['x-jwt-assertion'], undefined);
  });

  it('the anonymous rate limit applies per client address', async () => {
    const { InMemoryRateLimitStore } = await import('../src/ratelimit/limiter.ts');
    const other = await startTestGateway({
      snapshot: snapshotFixture({ upstreamUrl: upstream.url }),
      introspector: km,
      rateLimits: new InMemoryRateLimitStore(),
      env: { ANONYMOUS_RATE_LIMIT_PER_MINUTE: '2' },
    });
    try {
      other.model.apply(openApi(1));
      const get = async () => fetch(`${other.url}/open/1.0.0/status`);
      const statuses = [(await get()).status, (await get()).status];
      const limited = await get();
      assert.deepEqual([...statuses, limited.status], [200, 200, 429]);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(
        ((await limited.json()) as { error: { details: { scope: string } } }).error.details.scope,
        'anonymous',
      );
    } finally {
      await other.close();
    }
  });
});

describe('CORS for browser callers', () => {
  const preflight = (base: string, path: string) =>
    fetch(`${base}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('answers a preflight for a routable API without a token and without calling the upstream', async () => {
    const before = upstream.requests.length;
    const res = await preflight(gw.url, '/twitter/1.0.0/x');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization, content-type');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    assert.equal(upstream.requests.length, before);
    assert.equal((await preflight(gw.url, '/nope/1.0.0/x')).status, 404);
  });

  it('adds Access-Control-Allow-Origin to actual answers, errors included; a non-preflight OPTIONS needs a token', async () => {
    const ok = await call('/twitter/1.0.0/x', {
      token: PROD,
      headers: { origin: 'https://app.example.com' },
    });
    assert.equal(ok.res.status, 200);
    assert.equal(ok.res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(ok.res.headers.get('access-control-expose-headers'), '*');
    const denied = await call('/twitter/1.0.0/x', { headers: { origin: 'https://app.example.com' } });
    assert.equal(denied.res.status, 401);
    assert.equal(denied.res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const plain = await fetch(`${gw.url}/twitter/1.0.0/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com' },
    });
    assert.equal(plain.status, 401);
    const nullOrigin = await call('/twitter/1.0.0/x', { token: PROD, headers: { origin: 'null' } });
    assert.equal(nullOrigin.res.headers.get('access-control-allow-origin'), null);
  });

  it('leaves CORS to the upstream when CORS_ENABLED is off', async () => {
    const other = await startTestGateway({
      snapshot: snapshotFixture({ upstreamUrl: upstream.url }),
      introspector: km,
      env: { CORS_ENABLED: 'false' },
    });
    try {
      const res = await preflight(other.url, '/twitter/1.0.0/x');
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    } finally {
      await other.close();
    }
  });
});
