/**
 * Token validity end to end (docs/adr/0010-never-expiring-tokens.md): "never" is recognised by
 * the flag its token record carries, never by the lifetime's length. A client whose validity is
 * NEVER gets tokens without `exp`/`expires_in` (and no trace of the internal flag); no positive
 * validity is ever taken for "never": 60 years is refused outright and the longest validity
 * accepted is finite; client records stored under the old field name keep working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_VALIDITY_SECONDS, NEVER_EXPIRES } from '@portico/contracts';
import { NEVER_CLAIM } from '../src/oidc/validity.ts';
import type { Running } from './harness.ts';
import { createClient, introspect, startKeyManager, tokenRequest } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager();
});
after(async () => {
  await km?.close();
});

const SIXTY_YEARS = 60 * 365 * 86_400;

const jwtPayload = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

async function clientCredentials(c: { clientId: string; clientSecret: string }) {
  const res = await tokenRequest(
    km,
    { id: c.clientId, secret: c.clientSecret },
    { grant_type: 'client_credentials' },
  );
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

async function issue(clientId: string, body: Record<string, unknown>) {
  return km.adminFetch(`/admin/clients/${clientId}/tokens`, { method: 'POST', body });
}

describe('never-expiring tokens', () => {
  test('a client with validity NEVER: no expires_in, no exp in the JWT or in introspection, no internal flag', async () => {
    for (const tokenFormat of ['opaque', 'jwt']) {
      const c = await createClient(km, { validitySeconds: NEVER_EXPIRES, tokenFormat });
      const body = await clientCredentials(c);
      assert.equal(body['expires_in'], undefined, tokenFormat);
      const token = body['access_token'] as string;
      if (tokenFormat === 'jwt') {
        const payload = jwtPayload(token);
        assert.equal(payload['exp'], undefined);
        assert.equal(payload[NEVER_CLAIM], undefined);
      }
      const info = await introspect(km, token);
      assert.equal(info['active'], true, tokenFormat);
      assert.equal(info['exp'], undefined, tokenFormat);
      assert.equal(info[NEVER_CLAIM], undefined, tokenFormat);
    }
  });

  test('revoking a never-expiring token announces expiresAt: null', async () => {
    const c = await createClient(km, { validitySeconds: NEVER_EXPIRES });
    const token = (await clientCredentials(c))['access_token'] as string;
    const res = await km.adminFetch('/admin/revocations', { method: 'POST', body: { token } });
    assert.equal(res.status, 200);
    const records =
      (await km.mongo.db
        ?.collection('revocation_outbox')
        .find({ kind: 'token.revoked', 'event.data.clientId': c.clientId })
        .toArray()) ?? [];
    assert.equal(records.length, 1);
    const event = records[0]?.['event'] as { data: { expiresAt: unknown } } | undefined;
    assert.equal(event?.data.expiresAt, null);
  });
});

describe('no positive validity is "never"', () => {
  test('60 years is refused for a client and for an admin token call', async () => {
    const bad = await km.adminFetch('/admin/clients', {
      method: 'POST',
      body: { applicationId: 'app_1', keyType: 'PRODUCTION', validitySeconds: SIXTY_YEARS },
    });
    assert.equal(bad.status, 400);
    const c = await createClient(km, {});
    assert.equal((await issue(c.clientId, { validitySeconds: SIXTY_YEARS })).status, 400);
  });

  test('the longest validity accepted expires: expires_in, exp in the JWT and in introspection', async () => {
    const c = await createClient(km, { validitySeconds: MAX_VALIDITY_SECONDS, tokenFormat: 'jwt' });
    const body = await clientCredentials(c);
    assert.equal(body['expires_in'], MAX_VALIDITY_SECONDS);
    const payload = jwtPayload(body['access_token'] as string);
    assert.equal((payload['exp'] as number) - (payload['iat'] as number), MAX_VALIDITY_SECONDS);

    const opaque = await createClient(km, {});
    const res = await issue(opaque.clientId, { validitySeconds: MAX_VALIDITY_SECONDS });
    assert.equal(res.status, 200);
    const issued = (await res.json()) as Record<string, unknown>;
    assert.equal(issued['expires_in'], MAX_VALIDITY_SECONDS);
    const info = await introspect(km, issued['access_token'] as string);
    assert.equal(typeof info['exp'], 'number');
  });
});

describe('client records stored before the rename', () => {
  test('a stored accessTokenTtl is read as validitySeconds (negative = never)', async () => {
    const c = await createClient(km, {});
    await km.mongo.db
      ?.collection('clients')
      .updateOne(
        { _id: c.clientId as never },
        { $unset: { validitySeconds: true }, $set: { accessTokenTtl: -5 } },
      );
    const got = (await (await km.adminFetch(`/admin/clients/${c.clientId}`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(got['validitySeconds'], NEVER_EXPIRES);
    assert.equal((await clientCredentials(c))['expires_in'], undefined);

    const patched = await km.adminFetch(`/admin/clients/${c.clientId}`, {
      method: 'PATCH',
      body: { validitySeconds: 120 },
    });
    assert.equal(patched.status, 200);
    const stored = await km.mongo.db?.collection('clients').findOne({ _id: c.clientId as never });
    assert.equal(stored?.['accessTokenTtl'], undefined, 'the update rewrites it under the new name');
    assert.equal((await clientCredentials(c))['expires_in'], 120);
  });
});
