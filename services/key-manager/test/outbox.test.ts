/** The outbox against the real database: markers, ordering, publishing state and pruning. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Running } from './harness.ts';
import { startKeyManager } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager({}, { startRelay: false });
});
after(async () => {
  await km?.close();
});

const hash = (c: string) => c.repeat(64);

test('markers revoke tokens issued strictly before them, per key', async () => {
  const { outbox } = km.km;
  const at = await outbox.clientTokensRevoked('ck_a');
  const t = at.getTime();
  assert.equal(await outbox.isRevoked({ clientId: 'ck_a', iatMs: t - 1 }), true);
  assert.equal(
    await outbox.isRevoked({ clientId: 'ck_a', iatMs: t }),
    false,
    'same millisecond after = valid',
  );
  assert.equal(await outbox.isRevoked({ clientId: 'ck_b', iatMs: t - 1 }), false);
  await outbox.tokenRevoked({ tokenHash: hash('a'), clientId: 'ck_b', expiresAt: null });
  assert.equal(await outbox.isRevoked({ clientId: 'ck_b', tokenHash: hash('a'), iatMs: Date.now() }), true);
});

test('pending in insertion order; published records leave the queue; expired single tokens are pruned', async () => {
  const { outbox } = km.km;
  const past = new Date(Date.now() - 60_000).toISOString();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  await outbox.tokenRevoked({ tokenHash: hash('b'), clientId: 'ck_c', expiresAt: past });
  await outbox.tokenRevoked({ tokenHash: hash('c'), clientId: 'ck_c', expiresAt: future });
  await outbox.grantRevoked({ grantId: 'g1', clientId: 'ck_c', expiresAt: null });
  await outbox.grantRevoked({ grantId: 'g1', clientId: 'ck_c', expiresAt: null }); // stable id: one record
  const pending = await outbox.pending(100);
  const kinds = pending.map((d) => d.markerKey);
  assert.deepEqual(kinds.slice(-3), [`token:${hash('b')}`, `token:${hash('c')}`, 'grant:g1']);
  assert.equal(await outbox.prune(), 0, 'unpublished records are never pruned');
  await outbox.markPublished(pending.map((d) => d._id));
  assert.equal((await outbox.stats()).pending, 0);
  assert.equal(await outbox.prune(), 1, 'only the published, expired single token');
  assert.equal(await outbox.isRevoked({ tokenHash: hash('c'), iatMs: Date.now() }), true);
  assert.equal(await outbox.isRevoked({ grantId: 'g1', iatMs: Date.now() }), true);
});
