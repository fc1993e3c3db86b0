/**
 * Malformed requests get a 4xx in the error shape and write nothing: a body whose
 * Content-Encoding is a lie, a path parameter that is not valid percent-encoding.
 * (MemoryKeyManager: the in-memory twin of the key-manager port; MongoDB and Kafka are real.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ALICE, startHarness } from './harness.ts';

describe('malformed requests (with the in-memory key-manager twin)', () => {
  let h: Harness;
  let alice: string;

  before(async () => {
    h = await startHarness({ keyManager: new MemoryKeyManager(), consume: false });
    alice = h.user(ALICE);
  });
  after(() => h.close());

  it('a body sent as gzip, br or deflate that is not compressed is 400 invalid_body and creates nothing', async () => {
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const res = await h.call('POST', '/api/v1/applications', {
        token: alice,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        raw: JSON.stringify({ name: `Lying ${encoding}` }),
      });
      assert.equal(res.status, 400, `${encoding}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_body');
    }
    const list = await h.call('GET', '/api/v1/applications', { token: alice });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.filter((a: { name: string }) => a.name.startsWith('Lying')),
      [],
    );
  });

  it('every /api/v1 answer, success or error, carries nosniff and no-store', async () => {
    for (const [method, path, token] of [
      ['GET', '/api/v1/applications', alice],
      ['GET', '/api/v1/applications/app_nope', alice],
      ['GET', '/api/v1/applications', undefined],
      ['GET', '/api/v1/nowhere', alice],
    ] as const) {
      const res = await h.call(method, path, token ? { token } : {});
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path} ${res.status}`);
      assert.equal(res.headers.get('cache-control'), 'no-store', `${path} ${res.status}`);
    }
  });

  it('a path parameter that is not valid percent-encoding is 400 bad_request, not 500', async () => {
    for (const path of ['/api/v1/applications/%E0%A4%A', '/api/v1/applications/%E0%A4%A/keys']) {
      const res = await h.call('GET', path, { token: alice });
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'bad_request');
    }
  });
});
