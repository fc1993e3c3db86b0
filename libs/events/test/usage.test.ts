import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  anyEvent,
  eventKey,
  latencyBucket,
  latencyQuantileMs,
  mergeLatencyBuckets,
  USAGE_BUCKETS,
  USAGE_LATENCY_BOUNDS_MS,
  usageBatch,
  usageStatusClass,
} from '../src/index.ts';

/** A histogram of the given latencies (ms). */
function histogram(...latencies: number[]): number[] {
  const h = new Array<number>(USAGE_BUCKETS).fill(0);
  for (const ms of latencies) h[latencyBucket(ms)] = (h[latencyBucket(ms)] as number) + 1;
  return h;
}

test('latency buckets are inclusive upper bounds with one overflow bucket', () => {
  assert.equal(latencyBucket(0), 0);
  assert.equal(latencyBucket(1), 0);
  assert.equal(latencyBucket(1.01), 1);
  assert.equal(latencyBucket(100), USAGE_LATENCY_BOUNDS_MS.indexOf(100));
  assert.equal(latencyBucket(30_000.5), USAGE_BUCKETS - 1);
});

test('merged histograms of two replicas give the quantiles of all their requests together', () => {
  // Replica A: 90 fast requests (3 ms). Replica B: 10 slow ones (400 ms).
  const a = histogram(...new Array(90).fill(3));
  const b = histogram(...new Array(10).fill(400));
  const merged = mergeLatencyBuckets(a, b);
  assert.equal(
    merged.reduce((x, y) => x + y, 0),
    100,
  );
  assert.deepEqual(merged, histogram(...new Array(90).fill(3), ...new Array(10).fill(400)));
  // p50 lies in the (2, 5] bucket, p95 in (250, 500]: interpolated like histogram_quantile.
  const p50 = latencyQuantileMs(merged, 0.5);
  const p95 = latencyQuantileMs(merged, 0.95);
  assert.ok(p50 !== null && p50 > 2 && p50 <= 5, `p50 ${p50}`);
  assert.ok(p95 !== null && p95 > 250 && p95 <= 500, `p95 ${p95}`);
  assert.equal(p95, 250 + 250 * (5 / 10));
  // Neither replica alone has these quantiles.
  assert.ok((latencyQuantileMs(a, 0.95) as number) <= 5);
  assert.ok((latencyQuantileMs(b, 0.5) as number) > 250);
});

test('merging is order-free and refuses histograms of other bucket layouts', () => {
  const a = histogram(1, 7, 70, 700);
  const b = histogram(2, 20, 20_000, 99_999);
  assert.deepEqual(mergeLatencyBuckets(a, b), mergeLatencyBuckets(b, a));
  assert.deepEqual(mergeLatencyBuckets(a), a);
  assert.throws(() => mergeLatencyBuckets(a, [1, 2, 3]), /expected 15 buckets/);
});

test('quantiles of an empty histogram are null; the overflow bucket answers its lower bound', () => {
  assert.equal(latencyQuantileMs(new Array(USAGE_BUCKETS).fill(0), 0.5), null);
  assert.equal(latencyQuantileMs(histogram(60_000, 70_000), 0.99), 30_000);
  assert.throws(() => latencyQuantileMs(histogram(1), 1.5));
});

test('status classes keep 401/403 and 429 apart from other 4xx', () => {
  assert.deepEqual([200, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503].map(usageStatusClass), [
    '2xx',
    '2xx',
    '3xx',
    '4xx',
    '401/403',
    '401/403',
    '4xx',
    '429',
    '5xx',
    '5xx',
    '5xx',
  ]);
});

test('a usage batch validates, is keyed by replica, and rows must add up', () => {
  const buckets = histogram(3, 4);
  const batch = {
    id: 'gw-1:abcd1234:2026-12-02T06:00:00.000Z',
    type: 'usage.batch',
    version: 1,
    occurredAt: '2026-12-02T06:01:00.010Z',
    source: 'gateway',
    data: {
      batchId: 'gw-1:abcd1234:2026-12-02T06:00:00.000Z',
      replicaId: 'gw-1',
      instanceId: 'abcd1234',
      windowStart: '2026-12-02T06:00:00.000Z',
      windowMs: 60_000,
      latencyBoundsMs: [...USAGE_LATENCY_BOUNDS_MS],
      rows: [
        {
          key: 'app_1|PRODUCTION|api_1|2xx',
          applicationId: 'app_1',
          keyType: 'PRODUCTION',
          apiId: 'api_1',
          statusClass: '2xx',
          requests: 2,
          latencySumMs: 7,
          latencyBuckets: buckets,
        },
      ],
      lastUsed: [
        { clientId: 'c1', applicationId: 'app_1', keyType: 'PRODUCTION', at: '2026-12-02T06:00:30.000Z' },
      ],
    },
  } as const;
  const parsed = anyEvent.parse(batch);
  assert.equal(parsed.type, 'usage.batch');
  assert.equal(eventKey(parsed), 'gw-1');
  const wrongSum = structuredClone(batch) as unknown as { data: { rows: Array<{ requests: number }> } };
  (wrongSum.data.rows[0] as { requests: number }).requests = 3;
  assert.equal(usageBatch.safeParse(wrongSum).success, false);
});
