/** The admin API answers malformed requests with a 4xx in the error shape and writes nothing. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Running } from './harness.ts';
import { ADMIN_TOKEN, startKeyManager } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager();
});
after(async () => {
  await km?.close();
});

describe('admin API: malformed requests', () => {
  test('a body sent as gzip or br that is not compressed is 400 invalid_body and creates no client', async () => {
    const before = await km.mongo.db?.collection('clients').countDocuments();
    for (const encoding of ['gzip', 'br']) {
      const res = await fetch(`${km.admin}/admin/clients`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body: JSON.stringify({
          applicationId: 'app_gz',
          keyType: 'PRODUCTION',
          grantTypes: ['client_credentials'],
        }),
      });
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(res.status, 400, `${encoding}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'invalid_body');
    }
    assert.equal(await km.mongo.db?.collection('clients').countDocuments(), before);
  });

  test('a path parameter that is not valid percent-encoding is 400 bad_request', async () => {
    const res = await fetch(`${km.admin}/admin/clients/%E0%A4%A`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.error.code, 'bad_request');
  });
});
