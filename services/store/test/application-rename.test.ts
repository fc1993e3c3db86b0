import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ALICE, BOB, startHarness } from './harness.ts';

describe('renaming an application (key-manager twin)', () => {
  let h: Harness;
  let alice: string;
  let bob: string;

  before(async () => {
    h = await startHarness({ keyManager: new MemoryKeyManager(), consume: false });
    alice = h.user(ALICE);
    bob = h.user(BOB);
  });
  after(() => h.close());

  it('renaming to a name the developer already uses is 409 application_exists, not 500, and changes nothing', async () => {
    const create = (token: string, name: string) =>
      h.call('POST', '/api/v1/applications', { token, body: { name } });
    assert.equal((await create(alice, 'Rename taken')).status, 201);
    const other = await create(alice, 'Rename source');
    assert.equal(other.status, 201);
    const res = await h.call('PATCH', `/api/v1/applications/${other.body.id}`, {
      token: alice,
      body: { name: 'rename TAKEN', description: 'changed' },
    });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'application_exists');
    const after = await h.call('GET', `/api/v1/applications/${other.body.id}`, { token: alice });
    assert.equal(after.body.name, 'Rename source');
    assert.equal(after.body.description ?? '', '');
    // Another developer's names do not count.
    assert.equal((await create(bob, 'Bob only')).status, 201);
    const free = await h.call('PATCH', `/api/v1/applications/${other.body.id}`, {
      token: alice,
      body: { name: 'Bob only' },
    });
    assert.equal(free.status, 200, JSON.stringify(free.body));
  });
});
