/**
 * Failed client authentications at /token are counted per (client id, source address) in MongoDB,
 * shared by replicas; strangers cannot lock a client out (issue 13 defect 5).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Running } from './harness.ts';
import { basic, createClient, startKeyManager } from './harness.ts';

/** POST /token from a chosen loopback source address. */
function tokenFrom(
  km: Running,
  localAddress: string,
  auth: { id: string; secret: string },
): Promise<{ status: number; retryAfter: string | undefined; body: Record<string, unknown> }> {
  const url = new URL(`${km.issuer}/token`);
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: {
          authorization: basic(auth.id, auth.secret),
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('token endpoint client-authentication failure limit', () => {
  let a: Running;
  let b: Running;
  before(async () => {
    a = await startKeyManager({ TOKEN_AUTH_FAILURES_PER_CLIENT_IP: '3', TOKEN_RATE_LIMIT_PER_CLIENT: '3' });
    // A second replica on the same database (same keys), as in a deployment.
    b = await startKeyManager(
      {
        MONGO_DB: a.config.MONGO_DB,
        TOKEN_HASH_KEY: a.config.TOKEN_HASH_KEY ?? '',
        PERSISTENCE_ENCRYPTION_KEYS: a.config.PERSISTENCE_ENCRYPTION_KEYS,
        TOKEN_AUTH_FAILURES_PER_CLIENT_IP: '3',
        TOKEN_RATE_LIMIT_PER_CLIENT: '3',
      },
      { keepDb: true },
    );
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('failed authentications per client and address are limited across two replicas, the real client elsewhere still gets tokens', async () => {
    const c = await createClient(a, {});
    const wrong = { id: c.clientId, secret: 'wrong-secret-0123456789' };
    const statuses: number[] = [];
    // A stranger on 127.0.0.2 alternates replicas: three failures, then both replicas refuse it.
    for (const km of [a, b, a, b, a]) statuses.push((await tokenFrom(km, '127.0.0.2', wrong)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const refused = await tokenFrom(b, '127.0.0.2', wrong);
    assert.ok(Number(refused.retryAfter) > 0);
    assert.equal(refused.body['error'], 'temporarily_unavailable');
    // The real client on another address is not affected, on either replica.
    for (const km of [a, b]) {
      const ok = await tokenFrom(km, '127.0.0.1', { id: c.clientId, secret: c.clientSecret });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    }
  });
});
