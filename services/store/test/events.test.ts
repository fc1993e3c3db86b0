import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PorticoEvent } from '@portico/events';
import { anyEvent, readModelSnapshot } from '@portico/events';
import type { PrivateService } from '@portico/testing';
import { startPrivateKafka, waitFor } from '@portico/testing';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, publishedApi, READ_MODEL_TOKEN, startHarness } from './harness.ts';

type Entity = { revision: number };
const dataOf = (e: PorticoEvent) => e.data as unknown as Entity & Record<string, unknown>;

describe('events through the outbox, and the gateway read model', () => {
  let h: Harness;
  let admin: string;
  let alice: string;

  before(async () => {
    h = await startHarness();
    admin = h.user(ADMIN, ['developer', 'admin']);
    alice = h.user(ALICE);
  });
  after(() => h.close());

  it('publishes every change with a per-entity monotonic revision, keyed by entity', async () => {
    const apiId = await publishedApi(h, admin);
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Evented' } }))
      .body;
    const sub = (
      await h.call('POST', '/api/v1/subscriptions', {
        token: alice,
        body: { applicationId: app.id, apiId, tier: 'Gold' },
      })
    ).body;
    const key = (
      await h.call('POST', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
        token: alice,
        body: { allowedDomains: ['app.example.com'] },
      })
    ).body;
    await h.call('PATCH', `/api/v1/applications/${app.id}/keys/PRODUCTION`, {
      token: alice,
      body: { allowedDomains: ['*.example.com'] },
    });
    await h.call('DELETE', `/api/v1/subscriptions/${sub.id}`, { token: alice });
    await h.call('DELETE', `/api/v1/applications/${app.id}`, { token: alice });

    const forApp = () =>
      h.events().filter((e) => dataOf(e)['applicationId'] === app.id && e.type.startsWith('application'));
    await waitFor(() => forApp().some((e) => e.type === 'application.deleted'), {
      timeoutMs: 20_000,
      message: 'app events',
    });
    const appEvents = forApp();
    const revisions = appEvents.map((e) => dataOf(e).revision);
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(revisions).size, revisions.length, 'strictly increasing');
    const upserts = appEvents.filter((e) => e.type === 'application.upserted');
    const withKey = upserts.find((e) => (dataOf(e)['keys'] as unknown[]).length > 0)!;
    assert.deepEqual(dataOf(withKey)['keys'], [
      { keyType: 'PRODUCTION', clientId: key.consumerKey, allowedDomains: ['app.example.com'] },
    ]);
    assert.ok(
      upserts.some((e) => JSON.stringify(dataOf(e)['keys']).includes('*.example.com')),
      'allowed-domain change published',
    );
    assert.deepEqual(dataOf(upserts[upserts.length - 1]!)['keys'], [], 'deletion first withdraws the keys');

    await waitFor(
      () =>
        h.events().some((e) => e.type === 'subscription.deleted' && dataOf(e)['subscriptionId'] === sub.id),
      {
        timeoutMs: 20_000,
      },
    );
    const subEvents = h.events().filter((e) => dataOf(e)['subscriptionId'] === sub.id);
    assert.deepEqual(
      subEvents.map((e) => [e.type, dataOf(e).revision]),
      [
        ['subscription.upserted', 1],
        ['subscription.deleted', 2],
      ],
    );
    const apiEvents = h.events().filter((e) => dataOf(e)['apiId'] === apiId && e.type.startsWith('api.'));
    assert.deepEqual(
      apiEvents.map((e) => dataOf(e)['lifecycle']),
      ['CREATED', 'PUBLISHED'],
    );
    assert.ok(h.events().some((e) => e.type === 'tier.upserted' && dataOf(e)['name'] === 'Gold'));
    // The relay marks a row published after Kafka acknowledged it, so a consumer can see the
    // event a moment before the outbox is empty: wait for the mark, do not race it.
    await waitFor(async () => (await h.store.relay.stats()).pending === 0, {
      timeoutMs: 20_000,
      message: 'outbox drained',
    });
  });

  it('serves a snapshot whose position lets a gateway follow without a gap', async () => {
    const apiId = await publishedApi(h, admin, 'Snap');
    const app = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Snap' } })).body;
    await h.call('POST', '/api/v1/subscriptions', {
      token: alice,
      body: { applicationId: app.id, apiId, tier: 'Silver' },
    });
    const key = (
      await h.call('POST', `/api/v1/applications/${app.id}/keys/SANDBOX`, {
        token: alice,
        body: { allowedDomains: ['*.snap.example'] },
      })
    ).body;
    await waitFor(async () => (await h.store.relay.stats()).pending === 0, { timeoutMs: 20_000 });

    const res = await h.call('GET', '/internal/read-model', { token: READ_MODEL_TOKEN });
    assert.equal(res.status, 200);
    const snap = readModelSnapshot.parse(res.body);
    assert.ok(
      snap.apis.some((a) => a.apiId === apiId && a.context === '/snap/1.0.0' && a.lifecycle === 'PUBLISHED'),
    );
    assert.ok(snap.tiers.some((t) => t.name === 'Unlimited' && t.requests === null));
    const snapApp = snap.applications.find((a) => a.applicationId === app.id)!;
    assert.deepEqual(snapApp.keys, [
      { keyType: 'SANDBOX', clientId: key.consumerKey, allowedDomains: ['*.snap.example'] },
    ]);
    assert.ok(snap.subscriptions.some((s) => s.applicationId === app.id && s.tier === 'Silver'));

    // The position is where the topics ended when the snapshot was taken: everything before it
    // is in the snapshot, and a change made afterwards is on a topic at or after it.
    const positionOf = (topic: string) => BigInt(snap.position[topic]!['0']!);
    const ends = await h.bus.admin((a) => a.fetchTopicOffsets(h.topics.applications));
    assert.equal(BigInt(ends[0]!.high), positionOf(h.topics.applications));
    await h.call('PATCH', `/api/v1/applications/${app.id}`, { token: alice, body: { description: 'after' } });
    const later: PorticoEvent[] = [];
    const consumer = await h.bus.consume({
      broadcast: true,
      topics: [h.topics.applications],
      schema: anyEvent,
      handle: (e, meta) => {
        if (BigInt(meta.offset) >= positionOf(h.topics.applications)) later.push(e);
      },
    });
    try {
      await waitFor(
        () => later.some((e) => e.type === 'application.upserted' && dataOf(e)['applicationId'] === app.id),
        {
          timeoutMs: 20_000,
          message: 'the change after the snapshot is found after its position',
        },
      );
      const next = later.find((e) => dataOf(e)['applicationId'] === app.id)!;
      assert.ok(dataOf(next).revision > snapApp.revision);
    } finally {
      await consumer.stop();
    }
  });
});

describe('Kafka outage', () => {
  let kafka: PrivateService;
  let h: Harness;

  before(async () => {
    kafka = await startPrivateKafka();
    h = await startHarness({ brokers: [kafka.url], consume: false });
  });
  after(async () => {
    await h?.close();
    await kafka?.dispose();
  });

  it('keeps the API answering while Kafka is down; the events flow once it is back', async () => {
    const alice = h.user(ALICE);
    await waitFor(async () => (await h.store.relay.stats()).pending === 0, { timeoutMs: 30_000 });
    await kafka.stop();
    const created = await h.call('POST', '/api/v1/applications', {
      token: alice,
      body: { name: 'During outage' },
    });
    assert.equal(created.status, 201);
    const renamed = await h.call('PATCH', `/api/v1/applications/${created.body.id}`, {
      token: alice,
      body: { name: 'Still during outage' },
    });
    assert.equal(renamed.status, 200);
    const snap = await h.call('GET', '/internal/read-model', { token: READ_MODEL_TOKEN });
    assert.equal(snap.status, 503, 'no snapshot without a position');
    assert.ok(snap.headers.get('retry-after'));
    assert.equal((await h.store.relay.stats()).pending >= 2, true, 'the events wait in the outbox');

    await kafka.start();
    await waitFor(async () => (await h.store.relay.stats()).pending === 0, {
      timeoutMs: 60_000,
      message: 'outbox drained after Kafka came back',
    });
    const seen: PorticoEvent[] = [];
    const consumer = await h.bus.consume({
      broadcast: true,
      topics: [h.topics.applications],
      schema: anyEvent,
      handle: (e) => {
        seen.push(e);
      },
    });
    try {
      // A consumer group on a broker that just restarted can take a while to be assigned.
      await waitFor(() => seen.filter((e) => dataOf(e)['applicationId'] === created.body.id).length === 2, {
        timeoutMs: 60_000,
        message: 'the two events published after the outage were not consumed',
      });
      const names = seen
        .filter((e) => dataOf(e)['applicationId'] === created.body.id)
        .map((e) => dataOf(e)['name']);
      assert.deepEqual(names, ['During outage', 'Still during outage']);
    } finally {
      await consumer.stop();
    }
  });
});
