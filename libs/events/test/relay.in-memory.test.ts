/**
 * The shared outbox relay loop with an in-memory outbox source (a twin of our own port; the
 * Kafka-backed passes are covered by the store and key-manager outbox tests).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '@portico/core';
import { testLogger, waitFor } from '@portico/testing';
import type { OutboxSource } from '../src/index.ts';
import { OutboxRelay, RELAY_MAX_BACKOFF_MS } from '../src/index.ts';

const logger = testLogger('relay-test');

test('the wait between passes is pollMs when healthy and doubles per failure up to one cap', () => {
  assert.equal(OutboxRelay.delay(200, 0), 200);
  assert.equal(OutboxRelay.delay(200, 1), 400);
  assert.equal(OutboxRelay.delay(200, 3), 1600);
  assert.equal(OutboxRelay.delay(200, 30), RELAY_MAX_BACKOFF_MS);
  assert.equal(OutboxRelay.delay(1000, 5), RELAY_MAX_BACKOFF_MS);
});

test('one pass at a time: kicks during a pass give exactly one more pass, never a concurrent one', async () => {
  let active = 0;
  let maxActive = 0;
  let passes = 0;
  let release: () => void = () => {};
  const source: OutboxSource = {
    async pass() {
      active += 1;
      maxActive = Math.max(maxActive, active);
      passes += 1;
      if (passes === 1) await new Promise<void>((r) => (release = r));
      active -= 1;
      return 0;
    },
    stats: async () => ({ pending: 0, oldestAgeSeconds: 0 }),
  };
  const relay = new OutboxRelay({ source, logger, pollMs: 60_000 });
  relay.start();
  await waitFor(() => passes === 1);
  relay.kick();
  relay.kick();
  relay.kick();
  release();
  await waitFor(() => passes === 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(passes, 2, 'three kicks during the pass: one follow-up pass');
  assert.equal(maxActive, 1);
  await relay.stop();
});

test('a failing pass backs off (kick does not hammer) and stop waits for the running pass', async () => {
  let passes = 0;
  let finished = false;
  const source: OutboxSource = {
    async pass() {
      passes += 1;
      if (passes === 1) throw new Error('kafka down');
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
      return 1;
    },
    stats: async () => ({ pending: 0, oldestAgeSeconds: 0 }),
  };
  const relay = new OutboxRelay({ source, logger, pollMs: 150 });
  relay.start();
  await waitFor(() => passes === 1);
  await waitFor(() => relay.lastFailure() === 'kafka down');
  relay.kick();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(passes, 1, 'no pass before the back-off (300 ms) is over');
  await waitFor(() => passes === 2, { timeoutMs: 2000 });
  await relay.stop();
  assert.equal(finished, true, 'stop resolved only after the running pass finished');
  assert.equal(relay.lastFailure(), undefined);
});

test('the pending and oldest-age gauges read the source once per scrape, under the names given', async () => {
  let reads = 0;
  const source: OutboxSource = {
    pass: async () => 0,
    stats: async () => {
      reads += 1;
      return { pending: 7, oldestAgeSeconds: 42 };
    },
  };
  const metrics = createMetrics('relay-test');
  new OutboxRelay({
    source,
    logger,
    pollMs: 1000,
    gauges: {
      metrics,
      pending: { name: 'test_outbox_pending', help: 'p' },
      oldestAge: { name: 'test_outbox_oldest_age_seconds', help: 'o' },
    },
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /^test_outbox_pending({[^}]*})? 7$/m);
  assert.match(text, /^test_outbox_oldest_age_seconds({[^}]*})? 42$/m);
  assert.equal(reads, 1);
});
