/**
 * Resources that need no token (WSO2 API Manager's auth type None): an admin marks them on an
 * API; the store validates the patterns, keeps them, and hands them to the gateways in the
 * api.upserted event and the read-model snapshot. (MemoryKeyManager: the in-memory twin.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@portico/testing';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, READ_MODEL_TOKEN, startHarness } from './harness.ts';

describe('open resources (auth type None), with the in-memory key-manager twin', () => {
  let h: Harness;
  let admin: string;

  before(async () => {
    h = await startHarness({ keyManager: new MemoryKeyManager() });
    admin = h.user(ADMIN, ['developer', 'admin']);
  });
  after(() => h.close());

  const body = (openResources: unknown) => ({
    name: `Open ${Math.random().toString(36).slice(2, 8)}`,
    version: '1.0.0',
    context: `/open-${Math.random().toString(36).slice(2, 8)}/1.0.0`,
    productionUrl: 'https://prod.example.com/open',
    openResources,
  });

  it('an admin marks resources open; the API, its event and the read model carry them', async () => {
    const open = [
      { method: 'GET', path: '/status' },
      { method: '*', path: '/public/*' },
      { method: 'GET', path: '/items/{id}' },
    ];
    const created = await h.call('POST', '/api/v1/apis', { token: admin, body: body(open) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.openResources, open);
    const event = await waitFor(
      () => h.events().find((e) => e.type === 'api.upserted' && e.data.apiId === created.body.id),
      { timeoutMs: 15_000, message: 'no api.upserted event' },
    );
    assert.deepEqual((event.data as { openResources: unknown }).openResources, open);
    const snap = await h.call('GET', '/internal/read-model', { token: READ_MODEL_TOKEN });
    const api = snap.body.apis.find((a: { apiId: string }) => a.apiId === created.body.id);
    assert.deepEqual(api.openResources, open);

    const closed = await h.call('PATCH', `/api/v1/apis/${created.body.id}`, {
      token: admin,
      body: { openResources: [] },
    });
    assert.equal(closed.status, 200);
    assert.deepEqual(closed.body.openResources, []);
  });

  it('bad patterns and methods are 400 and create nothing; developers cannot set them', async () => {
    for (const bad of [
      [{ method: 'GET', path: 'status' }],
      [{ method: 'GET', path: '/a/*/b' }],
      [{ method: 'GET', path: '/a/../b' }],
      [{ method: 'GET', path: '/a//b' }],
      [{ method: 'FETCH', path: '/a' }],
      [{ method: 'GET', path: '/{1bad}' }],
    ]) {
      const res = await h.call('POST', '/api/v1/apis', { token: admin, body: body(bad) });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.body.error.code, 'validation_failed');
    }
    const dev = await h.call('POST', '/api/v1/apis', { token: h.user(ALICE), body: body([]) });
    assert.equal(dev.status, 403);
  });
});
