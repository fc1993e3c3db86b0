/**
 * The usage API over batches the gateways publish: folded from the real Kafka topic into real
 * MongoDB exactly once, per application (owner only) and per API (admins), at minute, hour and
 * day granularity. (MemoryKeyManager: the in-memory twin of the key-manager port.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventPublisher, UsageBatch, UsageRow } from '@portico/events';
import {
  latencyBucket,
  USAGE_BUCKETS,
  usageBatchId,
  usageRowKey,
  usageTopicName,
  usageTopicSpec,
} from '@portico/events';
import { waitFor } from '@portico/testing';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, BOB, publishedApi, startHarness } from './harness.ts';

function row(
  applicationId: string | null,
  apiId: string | null,
  statusClass: UsageRow['statusClass'],
  requests: number,
  latencyMs: number,
): UsageRow {
  const buckets = new Array<number>(USAGE_BUCKETS).fill(0);
  buckets[latencyBucket(latencyMs)] = requests;
  const r = { applicationId, keyType: 'PRODUCTION' as const, apiId, statusClass };
  return { key: usageRowKey(r), ...r, requests, latencySumMs: latencyMs * requests, latencyBuckets: buckets };
}

function batch(replica: string, windowStart: Date, rows: UsageRow[], clientId?: string): UsageBatch {
  const id = usageBatchId(replica, 'i1', windowStart);
  return {
    id,
    type: 'usage.batch',
    version: 1,
    occurredAt: new Date().toISOString(),
    source: 'gateway',
    data: {
      batchId: id,
      replicaId: replica,
      instanceId: 'i1',
      windowStart: windowStart.toISOString(),
      windowMs: 60_000,
      latencyBoundsMs: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000],
      rows,
      lastUsed: clientId
        ? [
            {
              clientId,
              applicationId: rows[0]?.applicationId ?? null,
              keyType: 'PRODUCTION',
              at: windowStart.toISOString(),
            },
          ]
        : [],
    },
  };
}

const prefixOf = (h: Harness) => h.topics.apis.slice(0, -'portico.apis.v1'.length);

describe('usage API (with the in-memory key-manager twin)', () => {
  let h: Harness;
  let publisher: EventPublisher;
  let alice: string;
  let bob: string;
  let admin: string;
  let apiId: string;
  let appId: string;
  let otherAppId: string;
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);

  before(async () => {
    h = await startHarness({ keyManager: new MemoryKeyManager(), consume: false });
    // The gateway owns the usage topic; here the test stands in for it.
    await h.bus.ensureTopics([usageTopicSpec(usageTopicName(prefixOf(h)), { partitions: 1 })]);
    publisher = await h.bus.publisher();
    alice = h.user(ALICE);
    bob = h.user(BOB);
    admin = h.user(ADMIN, ['developer', 'admin']);
    apiId = await publishedApi(h, admin);
    appId = (await h.call('POST', '/api/v1/applications', { token: alice, body: { name: 'Counted' } })).body
      .id;
    otherAppId = (await h.call('POST', '/api/v1/applications', { token: bob, body: { name: 'Other' } })).body
      .id;
  });
  after(async () => {
    await publisher?.close();
    await h?.close();
  });

  const topic = () => usageTopicName(prefixOf(h));
  const usage = (query: string, token = alice) =>
    h.call('GET', `/api/v1/applications/${appId}/usage?${query}`, { token });
  const range = `from=${new Date(minute.getTime() - 60_000).toISOString()}&to=${new Date(minute.getTime() + 120_000).toISOString()}`;

  it('folds batches of two replicas into per-minute counts, and a re-delivered batch changes nothing', async () => {
    const a = batch(
      'gw-a',
      minute,
      [row(appId, apiId, '2xx', 7, 4), row(appId, apiId, '429', 2, 1)],
      'client-a',
    );
    const b = batch('gw-b', minute, [
      row(appId, apiId, '2xx', 3, 40),
      row(appId, apiId, '5xx', 1, 30),
      row(appId, apiId, '401/403', 4, 1),
    ]);
    const foreign = batch('gw-c', minute, [row(otherAppId, apiId, '2xx', 100, 4)]);
    await publisher.publish(topic(), [a, b, foreign]);
    await publisher.publish(topic(), [a]); // at-least-once delivery: the same batch again
    const res = await waitFor(
      async () => {
        const r = await usage(`granularity=minute&${range}`);
        return r.status === 200 && r.body.totals.requests === 17 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'usage never reached 17 requests' },
    );
    // Wait a little longer: a double fold of the re-delivered batch would show up now.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = (await usage(`granularity=minute&${range}`)).body;
    assert.deepEqual(settled.totals, res.body.totals);
    assert.deepEqual(
      { ...settled.totals, latencyP50Ms: undefined, latencyP95Ms: undefined },
      {
        requests: 17,
        errors4xx: 4,
        errors5xx: 1,
        throttled: 2,
        latencyP50Ms: undefined,
        latencyP95Ms: undefined,
      },
    );
    const point = settled.series.find((p: { time: string }) => p.time === minute.toISOString());
    assert.equal(point.requests, 17);
    assert.equal(settled.series.length, 3, 'one point per minute of the range, empty ones included');
    assert.ok(
      settled.totals.latencyP50Ms > 2 && settled.totals.latencyP50Ms <= 5,
      String(settled.totals.latencyP50Ms),
    );
    assert.ok(
      settled.totals.latencyP95Ms > 25 && settled.totals.latencyP95Ms <= 50,
      String(settled.totals.latencyP95Ms),
    );
    assert.deepEqual(settled.lastUsed, [
      { clientId: 'client-a', keyType: 'PRODUCTION', at: minute.toISOString() },
    ]);
  });

  it('rolls minutes up to hours and days with the same totals', async () => {
    await h.store.usage.rollUp();
    for (const granularity of ['hour', 'day']) {
      const res = await usage(`granularity=${granularity}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.totals.requests, 17, granularity);
    }
  });

  it("another developer's application is 404, an admin sees it, and a bad range is 400", async () => {
    assert.equal((await usage('granularity=hour', bob)).status, 404);
    assert.equal((await h.call('GET', '/api/v1/applications/app_nope/usage', { token: alice })).status, 404);
    assert.equal((await usage('granularity=hour', admin)).body.totals.requests, 17);
    const backwards = await usage(`from=${new Date().toISOString()}&to=${minute.toISOString()}`);
    assert.equal(backwards.status, 400);
    const tooWide = await usage('granularity=minute&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z');
    assert.equal(tooWide.status, 400);
    assert.equal((await usage('granularity=week')).status, 400);
  });

  it('admins get an API across applications with the top applications and their names; developers may not', async () => {
    const res = await h.call('GET', `/api/v1/apis/${apiId}/usage?granularity=minute&${range}`, {
      token: admin,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.totals.requests, 117);
    assert.deepEqual(res.body.topApplications, [
      { applicationId: otherAppId, name: 'Other', requests: 100 },
      { applicationId: appId, name: 'Counted', requests: 17 },
    ]);
    assert.equal((await h.call('GET', `/api/v1/apis/${apiId}/usage`, { token: alice })).status, 403);
  });

  it('a deleted application stays among the top applications, without a name', async () => {
    assert.equal((await h.call('DELETE', `/api/v1/applications/${otherAppId}`, { token: bob })).status, 204);
    const res = await h.call('GET', `/api/v1/apis/${apiId}/usage?granularity=minute&${range}`, {
      token: admin,
    });
    assert.deepEqual(res.body.topApplications[0], { applicationId: otherAppId, name: null, requests: 100 });
  });

  it('calls of no known application count in the API total, not among the top applications', async () => {
    await publisher.publish(topic(), [batch('gw-d', minute, [row(null, apiId, '401/403', 5, 1)])]);
    const res = await waitFor(
      async () => {
        const r = await h.call('GET', `/api/v1/apis/${apiId}/usage?granularity=minute&${range}`, {
          token: admin,
        });
        return r.body.totals?.requests === 122 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'the API usage never reached 122 requests' },
    );
    assert.deepEqual(
      res.body.topApplications.map((t: { applicationId: string }) => t.applicationId),
      [otherAppId, appId],
    );
  });

  it('a batch older than the minute retention is dropped, not counted', async () => {
    const old = batch('gw-a', new Date(Date.now() - 72 * 3600_000), [row(appId, apiId, '2xx', 50, 4)]);
    assert.equal(await h.store.usage.fold(old), 'too-old');
  });
});
