import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenDoc } from '../../src/store/tokenCache.ts';
import { TokenCache } from '../../src/store/tokenCache.ts';

const doc = (id: string, grantId?: string): TokenDoc => ({
  _id: id,
  expiresAt: new Date(Date.now() + 3600_000),
  iatMs: Date.now(),
  ...(grantId ? { grantId } : {}),
});

test('token cache: bounded, recently used entries survive eviction, grant and single deletes', () => {
  const cache = new TokenCache(60_000, 100);
  cache.set('ClientCredentials', doc('hot'));
  for (let i = 0; i < 99; i += 1) cache.set('ClientCredentials', doc(`t${i}`));
  assert.equal(cache.get('hot')?.model, 'ClientCredentials');
  for (let i = 99; i < 1000; i += 1) {
    cache.set('ClientCredentials', doc(`t${i}`));
    cache.get('hot');
  }
  assert.ok(cache.get('hot'), 'an entry in use is kept');
  assert.equal(cache.get('t0'), undefined, 'the oldest unused ones are dropped');
  assert.ok(cache.get('t999'));
  let kept = 0;
  for (let i = 0; i < 1000; i += 1) if (cache.get(`t${i}`)) kept += 1;
  assert.ok(kept <= 100, `bounded (${kept})`);

  cache.set('AccessToken', doc('g1', 'grant-1'));
  cache.deleteGrant('grant-1');
  assert.equal(cache.get('g1'), undefined);
  cache.delete('hot');
  assert.equal(cache.get('hot'), undefined);
});

test('token cache: TTL 0 caches nothing', () => {
  const off = new TokenCache(0);
  off.set('AccessToken', doc('a'));
  assert.equal(off.get('a'), undefined);
});
