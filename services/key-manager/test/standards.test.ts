/**
 * Standards the OAuth endpoints follow to the letter (issue 13, defect 14), checked with
 * oauth4webapi (a stock client) and raw HTTP: RFC 6749 §5.2 client authentication errors,
 * RFC 8414 discovery that advertises exactly what is accepted, RFC 7009 §2.2 revocation of
 * another client's token, and the common error shape on paths nobody serves.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';
import { ADMIN_TOKEN, basic, createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';
import { discover, insecure } from './oauthClient.ts';

const PUBLIC = 'https://app.example.com/cb';
let km: Running;
let as: oauth.AuthorizationServer;
before(async () => {
  km = await startKeyManager({ TOKEN_RATE_LIMIT_PER_CLIENT: '1000' });
  as = await discover(km);
});
after(async () => {
  await km?.close();
});

const form = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body,
});

async function applicationToken(c: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await tokenRequest(
    km,
    { id: c.clientId, secret: c.clientSecret },
    { grant_type: 'client_credentials' },
  );
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('RFC 6749 §5.2: client authentication failures are 401 invalid_client', () => {
  test('a request without any client authentication is 401 invalid_client with a Basic challenge', async () => {
    const bodies: Record<string, string> = {
      '/token': 'grant_type=client_credentials',
      '/token/introspection': 'token=abc',
      '/token/revocation': 'token=abc',
      '/request': 'response_type=code&scope=openid', // pushed authorization requests (RFC 9126)
    };
    for (const [path, body] of Object.entries(bodies)) {
      const res = await fetch(`${km.issuer}${path}`, form(body));
      assert.equal(res.status, 401, path);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client', path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="/, path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
    }
  });

  test('wrong HTTP Basic credentials are 401 invalid_client with a WWW-Authenticate challenge', async () => {
    const c = await createClient(km, {});
    const res = await fetch(
      `${km.issuer}/token`,
      form('grant_type=client_credentials', { authorization: basic(c.clientId, 'wrong') }),
    );
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+", error="invalid_client"/);
  });

  test('oauth4webapi sees invalid_client when it sends no client authentication', async () => {
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: 'nobody' },
      oauth.None(),
      {},
      insecure,
    );
    // oauth4webapi's None() sends client_id in the body: a claimed but unauthenticated client.
    assert.equal(res.status, 401);
    await assert.rejects(
      oauth.processClientCredentialsResponse(as, { client_id: 'nobody' }, res),
      (err: oauth.ResponseBodyError) => err.error === 'invalid_client',
    );
  });
});

describe('RFC 8414: discovery advertises exactly what the token endpoint accepts', () => {
  const KNOWN_METHODS = [
    'client_secret_basic',
    'client_secret_post',
    'client_secret_jwt',
    'private_key_jwt',
    'none',
  ];

  async function authWith(method: string, secret: string): Promise<oauth.ClientAuth> {
    if (method === 'client_secret_basic') return oauth.ClientSecretBasic(secret);
    if (method === 'client_secret_post') return oauth.ClientSecretPost(secret);
    if (method === 'client_secret_jwt') return oauth.ClientSecretJwt(secret);
    if (method === 'none') return oauth.None();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = await crypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ format: 'der', type: 'pkcs8' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    return oauth.PrivateKeyJwt(key);
  }

  test('both discovery documents advertise the same auth methods, and no client assertion algorithms', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const doc = (await (await fetch(`${km.issuer}${path}`)).json()) as Record<string, unknown>;
      assert.deepEqual(
        [...(doc['token_endpoint_auth_methods_supported'] as string[])].sort(),
        ['client_secret_basic', 'client_secret_post'],
        path,
      );
      // Only the *_jwt methods sign with these; none is accepted, so nothing (no HS256) is advertised.
      assert.equal(doc['token_endpoint_auth_signing_alg_values_supported'], undefined, path);
      for (const key of Object.keys(doc).filter((k) => /endpoint_auth_methods_supported$/.test(k))) {
        assert.deepEqual(
          [...(doc[key] as string[])].sort(),
          ['client_secret_basic', 'client_secret_post'],
          key,
        );
      }
    }
  });

  test('the methods that work with a stock client are exactly the advertised ones', async () => {
    const c = await createClient(km, {});
    const client: oauth.Client = { client_id: c.clientId };
    const accepted: string[] = [];
    for (const method of KNOWN_METHODS) {
      const res = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        await authWith(method, c.clientSecret),
        {},
        insecure,
      );
      if (res.status === 200) {
        accepted.push(method);
        const tokens = await oauth.processClientCredentialsResponse(as, client, res);
        assert.equal(typeof tokens.access_token, 'string');
      } else {
        assert.equal(res.status, 401, method);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client', method);
      }
    }
    assert.deepEqual(accepted.sort(), [...(as.token_endpoint_auth_methods_supported ?? [])].sort());
  });
});

describe("RFC 7009 §2.2: revoking another client's token answers 200 and changes nothing", () => {
  for (const tokenFormat of ['jwt', 'opaque'] as const) {
    test(`another client's ${tokenFormat} access token: 200, and it stays active`, async () => {
      const owner = await createClient(km, { tokenFormat });
      const other = await createClient(km, {});
      const token = await applicationToken(owner);
      const res = await oauth.revocationRequest(
        as,
        { client_id: other.clientId },
        oauth.ClientSecretBasic(other.clientSecret),
        token,
        insecure,
      );
      assert.equal(res.status, 200, await res.clone().text());
      await oauth.processRevocationResponse(res);
      assert.equal((await introspect(km, token))['active'], true);
      // Its own client still revokes it.
      const own = await oauth.revocationRequest(
        as,
        { client_id: owner.clientId },
        oauth.ClientSecretBasic(owner.clientSecret),
        token,
        insecure,
      );
      assert.equal(own.status, 200);
      assert.equal((await introspect(km, token))['active'], false);
    });
  }
});

describe('paths nobody serves answer 404 in the common error shape', () => {
  const assertShape = async (res: Response, where: string) => {
    assert.equal(res.status, 404, where);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, where);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'not_found', where);
    assert.equal(typeof body.error.message, 'string', where);
    assert.equal(body.error.requestId, res.headers.get('x-request-id'), where);
  };

  test('on the public app: unknown paths and methods', async () => {
    await assertShape(await fetch(`${km.issuer}/nope`), 'GET /nope');
    await assertShape(await fetch(`${km.issuer}/.well-known/nope`), 'GET /.well-known/nope');
    await assertShape(await fetch(`${km.issuer}/token/nope`, form('x=1')), 'POST /token/nope');
    await assertShape(await fetch(`${km.issuer}/jwks`, { method: 'DELETE' }), 'DELETE /jwks');
  });

  test('on the admin app: unknown paths, with and without the admin credential', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await assertShape(await fetch(`${km.admin}/nope`), 'GET /nope');
    await assertShape(await fetch(`${km.admin}/admin/nope`, { headers: auth }), 'GET /admin/nope');
    await assertShape(
      await fetch(`${km.admin}/admin/clients`, { method: 'PUT', headers: auth }),
      'PUT /admin/clients',
    );
  });
});

describe("the admin API applies the store's rule for application keys (libs/contracts key-grants.ts)", () => {
  const create = (body: Record<string, unknown>) =>
    km.adminFetch('/admin/clients', {
      method: 'POST',
      body: { applicationId: 'app_r', keyType: 'PRODUCTION', ...body },
    });
  type ErrorBody = {
    error: { code: string; message: string; details: Array<{ path: string; code: string }> };
  };

  test('clients the rule refuses are 400 with the rule as code and the field named, and nothing is written', async () => {
    const count = () => km.mongo.db?.collection('clients').countDocuments();
    const before = await count();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ grantTypes: ['refresh_token'] }, 'invalid_grant_types', 'grantTypes'],
      [{ grantTypes: ['client_credentials', 'refresh_token'] }, 'invalid_grant_types', 'grantTypes'],
      [{ grantTypes: [] }, 'invalid_grant_types', 'grantTypes'],
      [
        { grantTypes: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] },
        'invalid_grant_types',
        'grantTypes[0]',
      ],
      [{ grantTypes: ['authorization_code'] }, 'callback_required', 'redirectUris'],
      [
        { grantTypes: ['authorization_code'], redirectUris: [PUBLIC, 'http://app.example.com/cb'] },
        'invalid_callback_url',
        'redirectUris[1]',
      ],
      [
        { grantTypes: ['authorization_code'], redirectUris: [`${PUBLIC}#x`] },
        'invalid_callback_url',
        'redirectUris[0]',
      ],
      [
        {
          grantTypes: ['authorization_code'],
          redirectUris: Array.from({ length: 21 }, (_, i) => `${PUBLIC}${i}`),
        },
        'invalid_callback_url',
        'redirectUris',
      ],
    ];
    for (const [body, code, field] of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = ((await res.json()) as ErrorBody).error;
      assert.equal(err.code, code, JSON.stringify(body));
      assert.ok(err.message.startsWith(`${field}:`), err.message);
      assert.ok(
        err.details.some((d) => d.path === field.replace(/\[(\d+)\]$/, '.$1') && d.code === code),
        JSON.stringify(err.details),
      );
    }
    assert.equal(await count(), before);
  });

  test('loopback http callbacks and the sensible combinations are accepted', async () => {
    for (const body of [
      { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['http://127.0.0.1:8080/cb'] },
      {
        grantTypes: ['authorization_code'],
        redirectUris: ['http://[::1]:8080/cb', 'http://localhost/cb', PUBLIC],
      },
      { grantTypes: ['password', 'refresh_token'] },
      { grantTypes: ['client_credentials'] },
    ]) {
      const res = await create(body);
      assert.equal(res.status, 201, `${JSON.stringify(body)} ${await res.clone().text()}`);
    }
  });

  test('PATCH is checked against the merged result; a PATCH that changes neither is never refused', async () => {
    const c = await createClient(km, { grantTypes: ['password', 'refresh_token'] });
    const patch = (body: Record<string, unknown>) =>
      km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'PATCH', body });
    const alone = await patch({ grantTypes: ['refresh_token'] });
    assert.equal(alone.status, 400);
    assert.equal(((await alone.json()) as ErrorBody).error.code, 'invalid_grant_types');
    const noCallback = await patch({ grantTypes: ['authorization_code'] });
    assert.equal(((await noCallback.json()) as ErrorBody).error.code, 'callback_required');
    const got = (await (await km.adminFetch(`/admin/clients/${c.clientId}`)).json()) as {
      grantTypes: string[];
    };
    assert.deepEqual(got.grantTypes, ['password', 'refresh_token'], 'unchanged');
    assert.equal((await patch({ redirectUris: [PUBLIC] })).status, 200);
    assert.equal((await patch({ grantTypes: ['authorization_code'] })).status, 200);
    assert.equal((await patch({ disabled: true })).status, 200);
  });
});
