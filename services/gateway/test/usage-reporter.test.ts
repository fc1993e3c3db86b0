/**
 * The usage reporter's queue with an in-memory twin of the event publisher port (Kafka itself is
 * exercised in usage.test.ts) and mocked timers: windows close on their boundaries, unsent
 * batches wait in a bounded queue, the oldest is dropped and counted, the rest arrive in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '@portico/core';
import type { EventPublisher, PorticoEvent } from '@portico/events';
import { testLogger } from '@portico/testing';
import type { UsageSample } from '../src/analytics/counter.ts';
import { createUsageMetrics } from '../src/analytics/metrics.ts';
import { UsageReporter } from '../src/analytics/reporter.ts';

const sample = (at: number): UsageSample => ({
  applicationId: 'app_1',
  keyType: 'PRODUCTION',
  apiId: 'api_1',
  clientId: 'client-prod',
  status: 200,
  latencyMs: 3,
  at,
});

/** Lets the reporter's promise chains run between timer ticks. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise((r) => setImmediate(r));
}

test('with an in-memory publisher twin that fails, unsent batches queue up to the bound, the oldest dropped and counted, the rest published in order once it works', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let up = false;
  const sent: PorticoEvent[] = [];
  const publisher: EventPublisher = {
    publish: async (_topic, events) => {
      if (!up) throw new Error('broker down');
      sent.push(...events);
    },
    close: async () => undefined,
  };
  const usageMetrics = createUsageMetrics(createMetrics('gateway'));
  const reporter = new UsageReporter({
    replicaId: 'gw-1',
    topic: 'usage',
    windowMs: 1000,
    maxPendingBatches: 2,
    publisher,
    ensureTopic: async () => undefined,
    metrics: usageMetrics,
    logger: testLogger(),
  });
  reporter.start();
  for (let window = 0; window < 4; window += 1) {
    reporter.record(sample(Date.now()));
    reporter.record(sample(Date.now()));
    t.mock.timers.tick(1000);
    await settle();
  }
  assert.equal(reporter.pendingCount(), 2);
  assert.equal((await usageMetrics.dropped.get()).values[0]?.value, 2);
  assert.ok(((await usageMetrics.publishFailures.get()).values[0]?.value ?? 0) >= 1);
  assert.equal(sent.length, 0);

  up = true;
  t.mock.timers.tick(1000); // the retry (and an empty window end)
  await settle();
  assert.equal(reporter.pendingCount(), 0);
  const windows = sent.map((e) => (e.type === 'usage.batch' ? e.data.windowStart : e.type));
  assert.deepEqual(windows, [new Date(2000).toISOString(), new Date(3000).toISOString()]);
  for (const e of sent) {
    assert.ok(e.type === 'usage.batch');
    assert.equal(e.data.rows[0]?.requests, 2);
    assert.equal(e.id, `gw-1:${e.data.instanceId}:${e.data.windowStart}`);
  }
  assert.equal((await usageMetrics.published.get()).values[0]?.value, 2);
});

test('an empty window publishes nothing (in-memory publisher twin)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const sent: PorticoEvent[] = [];
  const reporter = new UsageReporter({
    replicaId: 'gw-1',
    topic: 'usage',
    windowMs: 1000,
    maxPendingBatches: 2,
    publisher: { publish: async (_t, events) => void sent.push(...events), close: async () => undefined },
    ensureTopic: async () => undefined,
    metrics: createUsageMetrics(createMetrics('gateway')),
    logger: testLogger(),
  });
  reporter.start();
  t.mock.timers.tick(3000);
  await settle();
  assert.equal(sent.length, 0);
  reporter.record(sample(Date.now()));
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(sent.length, 1);
});
