/**
 * The admin API contract (docs/internal-apis.md) as the store uses it: clients, secrets,
 * application tokens, revocations and users. Every path that ends tokens is visible at once
 * in introspection and leaves a durable outbox record for the gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Running } from './harness.ts';
import { ADMIN_TOKEN, createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager();
});
after(async () => {
  await km?.close();
});

async function appToken(client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await tokenRequest(
    km,
    { id: client.clientId, secret: client.clientSecret },
    { grant_type: 'client_credentials' },
  );
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function outboxKinds(markerKey: string): Promise<string[]> {
  const docs = (await km.mongo.db?.collection('revocation_outbox').find({ markerKey }).toArray()) ?? [];
  return docs.map((d) => d['kind'] as string);
}

describe('authentication', () => {
  test('missing or wrong bearer credential is 401 in the common error shape', async () => {
    for (const authorization of [
      undefined,
      'Bearer nope',
      `Basic ${ADMIN_TOKEN}`,
      `Bearer ${ADMIN_TOKEN}x`,
    ]) {
      const res = await fetch(`${km.admin}/admin/clients/x`, {
        headers: authorization ? { authorization } : {},
      });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      assert.equal(body.error.code, 'invalid_token');
      assert.ok(body.error.requestId);
    }
  });
});

describe('clients', () => {
  test('create answers the secret once; GET never shows it', async () => {
    const res = await km.adminFetch('/admin/clients', {
      method: 'POST',
      body: {
        applicationId: 'app_9',
        keyType: 'SANDBOX',
        tokenFormat: 'jwt',
        scopes: ['read'],
        name: 'Demo',
      },
    });
    assert.equal(res.status, 201);
    const created = (await res.json()) as Record<string, unknown>;
    assert.match(created['clientSecret'] as string, /^cs_/);
    assert.equal(created['keyType'], 'SANDBOX');
    assert.equal(created['tokenFormat'], 'jwt');
    assert.deepEqual(created['grantTypes'], ['client_credentials']);
    assert.equal(created['validitySeconds'], null);
    const got = (await (await km.adminFetch(`/admin/clients/${created['clientId']}`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(got['clientSecret'], undefined);
    assert.equal(got['applicationId'], 'app_9');
    assert.ok(!JSON.stringify(got).includes(created['clientSecret'] as string));
  });

  test('invalid input is 400 and nothing is written', async () => {
    const before = await km.mongo.db?.collection('clients').countDocuments();
    const bad = [
      { applicationId: 'a', keyType: 'DEV' },
      { applicationId: 'a', keyType: 'PRODUCTION', grantTypes: ['implicit'] },
      { applicationId: 'a', keyType: 'PRODUCTION', grantTypes: ['authorization_code'] },
      {
        applicationId: 'a',
        keyType: 'PRODUCTION',
        grantTypes: ['authorization_code'],
        redirectUris: ['javascript:alert(1)'],
      },
      {
        applicationId: 'a',
        keyType: 'PRODUCTION',
        grantTypes: ['authorization_code'],
        redirectUris: ['http://evil.example/cb'],
      },
      { applicationId: 'a', keyType: 'PRODUCTION', redirectUris: ['https://app.example/cb#frag'] },
      { applicationId: 'a', keyType: 'PRODUCTION', validitySeconds: 0 },
      { applicationId: 'a', keyType: 'PRODUCTION', scopes: ['has space'] },
      { applicationId: 'a', keyType: 'PRODUCTION', extra: true },
    ];
    for (const body of bad) {
      const res = await km.adminFetch('/admin/clients', { method: 'POST', body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal(await km.mongo.db?.collection('clients').countDocuments(), before);
  });

  test('PATCH changes the token format and disabling stops token issuance', async () => {
    const c = await createClient(km, {});
    assert.ok(!(await appToken(c)).includes('.'));
    const patched = await km.adminFetch(`/admin/clients/${c.clientId}`, {
      method: 'PATCH',
      body: { tokenFormat: 'jwt' },
    });
    assert.equal(patched.status, 200);
    assert.equal((await appToken(c)).split('.').length, 3);
    const before = await appToken(c);
    await km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'PATCH', body: { disabled: true } });
    assert.equal((await introspect(km, before))['active'], false, 'disabling revokes the tokens');
    const refused = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'client_credentials' },
    );
    assert.equal(refused.status, 401);
    assert.equal(
      (await km.adminFetch('/admin/clients/ck_unknown', { method: 'PATCH', body: { name: 'x' } })).status,
      404,
    );
  });

  test('regenerating the secret: the old one stops working at once and tokens are revoked', async () => {
    const c = await createClient(km, {});
    const token = await appToken(c);
    const res = await km.adminFetch(`/admin/clients/${c.clientId}/secret`, { method: 'POST' });
    assert.equal(res.status, 200);
    const { clientSecret } = (await res.json()) as { clientSecret: string };
    assert.notEqual(clientSecret, c.clientSecret);
    const old = await tokenRequest(
      km,
      { id: c.clientId, secret: c.clientSecret },
      { grant_type: 'client_credentials' },
    );
    assert.equal(old.status, 401);
    assert.equal((await introspect(km, token))['active'], false);
    assert.ok(await appToken({ clientId: c.clientId, clientSecret }));
    assert.deepEqual(await outboxKinds(`client:${c.clientId}`), ['client.tokens_revoked']);
  });

  test('deleting a client revokes its tokens', async () => {
    const c = await createClient(km, {});
    const token = await appToken(c);
    assert.equal((await km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'DELETE' })).status, 204);
    assert.equal((await introspect(km, token))['active'], false);
    assert.equal((await km.adminFetch(`/admin/clients/${c.clientId}`)).status, 404);
    assert.equal((await km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'DELETE' })).status, 404);
    assert.deepEqual(await outboxKinds(`client:${c.clientId}`), ['client.tokens_revoked']);
  });

  test('statically configured clients are not managed through the admin API', async () => {
    assert.equal((await km.adminFetch('/admin/clients/portico-gateway')).status, 404);
    assert.equal((await km.adminFetch('/admin/clients/portico-gateway', { method: 'DELETE' })).status, 404);
  });
});

describe('application tokens', () => {
  test('issue with validity and scope; revokePrevious ends the earlier tokens', async () => {
    const c = await createClient(km, { scopes: ['read'] });
    const issue = async (body: Record<string, unknown>) => {
      const res = await km.adminFetch(`/admin/clients/${c.clientId}/tokens`, { method: 'POST', body });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return (await res.json()) as Record<string, unknown>;
    };
    const first = await issue({ validitySeconds: 60, scope: 'read other' });
    assert.equal(first['expires_in'], 60);
    assert.equal(first['scope'], 'read');
    assert.equal(first['token_type'], 'Bearer');
    const info = await introspect(km, first['access_token'] as string);
    assert.equal(info['active'], true);
    assert.equal(info['token_type'], 'application');

    const never = await issue({ validitySeconds: -1 });
    assert.equal(never['expires_in'], undefined);
    assert.equal((await introspect(km, never['access_token'] as string))['exp'], undefined);

    const second = await issue({ revokePrevious: true });
    assert.equal((await introspect(km, first['access_token'] as string))['active'], false);
    assert.equal((await introspect(km, never['access_token'] as string))['active'], false);
    assert.equal((await introspect(km, second['access_token'] as string))['active'], true);
  });

  test('clients without client_credentials or unknown clients cannot get one', async () => {
    const c = await createClient(km, { grantTypes: ['password'] });
    assert.equal(
      (await km.adminFetch(`/admin/clients/${c.clientId}/tokens`, { method: 'POST', body: {} })).status,
      400,
    );
    assert.equal(
      (await km.adminFetch('/admin/clients/ck_nope/tokens', { method: 'POST', body: {} })).status,
      404,
    );
  });
});

describe('revocations and users', () => {
  before(async () => {
    for (const [domain, username] of [
      ['PRIMARY', 'dave'],
      ['PARTNERS.EXAMPLE.COM', 'erin'],
      ['PARTNERS.EXAMPLE.COM', 'frank'],
    ]) {
      const res = await km.adminFetch(`/admin/userstores/${domain}/users`, {
        method: 'POST',
        body: { username, password: 'correct horse battery', roles: ['developer'] },
      });
      assert.equal(res.status, 201);
    }
  });

  async function userToken(client: { clientId: string; clientSecret: string }, username: string) {
    const res = await tokenRequest(
      km,
      { id: client.clientId, secret: client.clientSecret },
      { grant_type: 'password', username, password: 'correct horse battery' },
    );
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  test('exactly one selector is required', async () => {
    for (const body of [
      {},
      { clientId: 'a', subject: 'PRIMARY/dave' },
      { domain: 'NOPE.EXAMPLE' },
      { issuedBefore: 'yesterday' },
    ]) {
      assert.equal(
        (await km.adminFetch('/admin/revocations', { method: 'POST', body })).status,
        400,
        JSON.stringify(body),
      );
    }
  });

  test('revoke one token (opaque and JWT), a subject, a domain', async () => {
    const c = await createClient(km, { grantTypes: ['password', 'client_credentials'] });
    const opaque = await appToken(c);
    let res = await km.adminFetch('/admin/revocations', { method: 'POST', body: { token: opaque } });
    assert.deepEqual(await res.json(), { revoked: { token: true } });
    assert.equal((await introspect(km, opaque))['active'], false);

    const j = await createClient(km, { tokenFormat: 'jwt' });
    const jwt = await appToken(j);
    res = await km.adminFetch('/admin/revocations', { method: 'POST', body: { token: jwt } });
    assert.deepEqual(await res.json(), { revoked: { token: true } });
    assert.equal((await introspect(km, jwt))['active'], false);

    const dave = (await userToken(c, 'PRIMARY/dave')).body['access_token'] as string;
    const erin = (await userToken(c, 'PARTNERS.EXAMPLE.COM/erin')).body['access_token'] as string;
    const frank = (await userToken(c, 'PARTNERS.EXAMPLE.COM/frank')).body['access_token'] as string;
    res = await km.adminFetch('/admin/revocations', { method: 'POST', body: { subject: 'primary/dave' } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { revoked: { subject: string } }).revoked.subject, 'PRIMARY/dave');
    assert.equal((await introspect(km, dave))['active'], false);
    assert.equal((await introspect(km, erin))['active'], true);

    res = await km.adminFetch('/admin/revocations', {
      method: 'POST',
      body: { domain: 'partners.example.com' },
    });
    assert.equal(res.status, 200);
    assert.equal((await introspect(km, erin))['active'], false);
    assert.equal((await introspect(km, frank))['active'], false);
    assert.deepEqual(await outboxKinds('domain:PARTNERS.EXAMPLE.COM'), ['domain.tokens_revoked']);
    // A token issued after the bulk revocation is valid.
    const later = (await userToken(c, 'PARTNERS.EXAMPLE.COM/erin')).body['access_token'] as string;
    assert.equal((await introspect(km, later))['active'], true);
  });

  test('issuedBefore revokes every older token', async () => {
    const c = await createClient(km, {});
    const old = await appToken(c);
    const res = await km.adminFetch('/admin/revocations', {
      method: 'POST',
      body: { issuedBefore: new Date().toISOString() },
    });
    assert.equal(res.status, 200);
    assert.equal((await introspect(km, old))['active'], false);
    assert.equal((await introspect(km, await appToken(c)))['active'], true);
  });

  test('users: duplicates 409, foreign domain 400, disabling revokes tokens and blocks login, delete 204', async () => {
    const dup = await km.adminFetch('/admin/userstores/PRIMARY/users', {
      method: 'POST',
      body: { username: 'dave', password: 'correct horse battery' },
    });
    assert.equal(dup.status, 409);
    const foreign = await km.adminFetch('/admin/userstores/PRIMARY/users', {
      method: 'POST',
      body: { username: 'PARTNERS.EXAMPLE.COM/mallory', password: 'correct horse battery' },
    });
    assert.equal(foreign.status, 400);
    assert.equal((await km.adminFetch('/admin/userstores/NOPE.EXAMPLE/users')).status, 404);

    const list = (await (await km.adminFetch('/admin/userstores/partners.example.com/users')).json()) as {
      users: Array<Record<string, unknown>>;
    };
    assert.deepEqual(
      list.users.map((u) => u['username']),
      ['PARTNERS.EXAMPLE.COM/erin', 'PARTNERS.EXAMPLE.COM/frank'],
    );
    assert.ok(!JSON.stringify(list).includes('passwordHash'));

    const c = await createClient(km, { grantTypes: ['password'] });
    const token = (await userToken(c, 'PARTNERS.EXAMPLE.COM/frank')).body['access_token'] as string;
    const disable = await km.adminFetch('/admin/userstores/PARTNERS.EXAMPLE.COM/users/frank', {
      method: 'PATCH',
      body: { enabled: false },
    });
    assert.equal(disable.status, 200);
    assert.equal((await introspect(km, token))['active'], false);
    assert.equal((await userToken(c, 'PARTNERS.EXAMPLE.COM/frank')).status, 400);

    assert.equal(
      (await km.adminFetch('/admin/userstores/PARTNERS.EXAMPLE.COM/users/frank', { method: 'DELETE' }))
        .status,
      204,
    );
    assert.equal((await km.adminFetch('/admin/userstores/PARTNERS.EXAMPLE.COM/users/frank')).status, 404);
    assert.ok(
      (await outboxKinds('user:PARTNERS.EXAMPLE.COM/frank')).every((k) => k === 'user.tokens_revoked'),
    );
  });
});

describe('bootstrap users (demo data)', () => {
  test('BOOTSTRAP_USERS creates missing users with roles; a bad entry stops start-up', async () => {
    const seeded = await startKeyManager({
      BOOTSTRAP_USERS:
        'PRIMARY/admin:changeit1:admin|developer; partners.example.com/pia:changeit2:developer',
    });
    try {
      const list = (await (await seeded.adminFetch('/admin/userstores/PRIMARY/users')).json()) as {
        users: Array<{ username: string; roles: string[] }>;
      };
      assert.deepEqual(list.users, [
        {
          username: 'PRIMARY/admin',
          domain: 'PRIMARY',
          name: 'admin',
          enabled: true,
          locked: false,
          roles: ['admin', 'developer'],
        },
      ]);
      const c = await createClient(seeded, { grantTypes: ['password'] });
      const res = await tokenRequest(
        seeded,
        { id: c.clientId, secret: c.clientSecret },
        { grant_type: 'password', username: 'PARTNERS.EXAMPLE.COM/pia', password: 'changeit2' },
      );
      assert.equal(res.status, 200);
    } finally {
      await seeded.close();
    }
    await assert.rejects(
      startKeyManager({ BOOTSTRAP_USERS: 'NOWHERE/x:changeit1:admin' }),
      /BOOTSTRAP_USERS/,
    );
  });
});
