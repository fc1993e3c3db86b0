import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  anyEvent,
  eventKey,
  makeEvent,
  readModelSnapshot,
  revocationEvent,
  topicNames,
} from '../src/index.ts';

test('events validate and pick ordering keys by entity', () => {
  const e = makeEvent(
    'client.tokens_revoked',
    { clientId: 'c1', revokedBefore: new Date().toISOString() },
    'km',
  );
  assert.equal(revocationEvent.parse(e).type, 'client.tokens_revoked');
  assert.equal(eventKey(e), 'client:c1');
  const sub = makeEvent(
    'subscription.upserted',
    {
      revision: 3,
      subscriptionId: 'sub_1',
      applicationId: 'app_1',
      apiId: 'api_1',
      tier: 'Gold',
      status: 'ACTIVE',
    },
    'store',
  );
  assert.equal(anyEvent.parse(sub).type, 'subscription.upserted');
  assert.equal(eventKey(sub), 'sub_1');
});

test('malformed events are rejected', () => {
  assert.equal(revocationEvent.safeParse({ type: 'token.revoked', version: 1 }).success, false);
  const bad = makeEvent('token.revoked', { tokenHash: 'not-hex', clientId: 'c', expiresAt: null }, 'km');
  assert.equal(revocationEvent.safeParse(bad).success, false);
  const api = makeEvent(
    'api.upserted',
    {
      revision: 1,
      apiId: 'api_1',
      name: 'Twitter',
      version: '1.0.0',
      context: '/twitter/../admin',
      productionUrl: 'http://127.0.0.1:1',
      sandboxUrl: null,
      scopes: [],
      lifecycle: 'PUBLISHED',
    },
    'store',
  );
  assert.equal(anyEvent.safeParse(api).success, false, 'a context with dot segments is refused');
});

test('topic names carry the version and an optional prefix', () => {
  assert.equal(topicNames().revocations, 'portico.revocations.v1');
  assert.equal(topicNames('test1.').apis, 'test1.portico.apis.v1');
});

test('the read model snapshot schema accepts an empty model', () => {
  const parsed = readModelSnapshot.parse({
    version: 1,
    generatedAt: new Date().toISOString(),
    position: { 'portico.apis.v1': { '0': '12' } },
    apis: [],
    tiers: [],
    applications: [],
    subscriptions: [],
  });
  assert.equal(parsed.version, 1);
});
