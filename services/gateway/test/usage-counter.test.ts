/** The in-memory usage counter alone (no Kafka): rows, classes, histograms and last uses; its config. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '@portico/core';
import { latencyBucket } from '@portico/events';
import type { UsageSample } from '../src/analytics/counter.ts';
import { UsageCounter } from '../src/analytics/counter.ts';
import { configSchema } from '../src/config.ts';

const sample = (s: Partial<UsageSample>): UsageSample => ({
  applicationId: 'app_1',
  keyType: 'PRODUCTION',
  apiId: 'api_1',
  clientId: 'client-prod',
  status: 200,
  latencyMs: 3,
  at: 1_000,
  ...s,
});

test('requests fold into one row per application, key type, API and status class', () => {
  const c = new UsageCounter();
  assert.equal(c.isEmpty(), true);
  c.record(sample({ status: 200, latencyMs: 3 }));
  c.record(sample({ status: 201, latencyMs: 40 }));
  c.record(sample({ status: 401, clientId: null, applicationId: null, keyType: null }));
  c.record(sample({ status: 403 }));
  c.record(sample({ status: 429 }));
  c.record(sample({ status: 502 }));
  c.record(sample({ status: 200, keyType: 'SANDBOX', clientId: 'client-sandbox' }));
  c.record(sample({ status: 404, apiId: null, applicationId: null, keyType: null, clientId: null }));
  const { rows } = c.snapshot();
  const byKey = new Map(rows.map((r) => [r.key, r]));
  assert.deepEqual([...byKey.keys()].sort(), [
    '-|-|-|4xx',
    '-|-|api_1|401/403',
    'app_1|PRODUCTION|api_1|2xx',
    'app_1|PRODUCTION|api_1|401/403',
    'app_1|PRODUCTION|api_1|429',
    'app_1|PRODUCTION|api_1|5xx',
    'app_1|SANDBOX|api_1|2xx',
  ]);
  const ok = byKey.get('app_1|PRODUCTION|api_1|2xx');
  assert.equal(ok?.requests, 2);
  assert.equal(ok?.latencySumMs, 43);
  assert.equal(ok?.latencyBuckets[latencyBucket(3)], 1);
  assert.equal(ok?.latencyBuckets[latencyBucket(40)], 1);
});

test('last use is the latest request per OAuth client', () => {
  const c = new UsageCounter();
  c.record(sample({ at: 5_000 }));
  c.record(sample({ at: 2_000 }));
  c.record(sample({ clientId: 'client-sandbox', keyType: 'SANDBOX', at: 3_000 }));
  const { lastUsed } = c.snapshot();
  assert.deepEqual(
    lastUsed.sort((a, b) => a.clientId.localeCompare(b.clientId)),
    [
      {
        clientId: 'client-prod',
        applicationId: 'app_1',
        keyType: 'PRODUCTION',
        at: new Date(5_000).toISOString(),
      },
      {
        clientId: 'client-sandbox',
        applicationId: 'app_1',
        keyType: 'SANDBOX',
        at: new Date(3_000).toISOString(),
      },
    ],
  );
});

test('ANALYTICS_FLUSH_INTERVAL_MS must divide the minute, and analytics is on by default', () => {
  assert.equal(loadConfig(configSchema, {}).ANALYTICS_ENABLED, true);
  assert.equal(loadConfig(configSchema, {}).ANALYTICS_FLUSH_INTERVAL_MS, 60_000);
  assert.equal(
    loadConfig(configSchema, { ANALYTICS_FLUSH_INTERVAL_MS: '1000' }).ANALYTICS_FLUSH_INTERVAL_MS,
    1000,
  );
  assert.equal(loadConfig(configSchema, { ANALYTICS_ENABLED: 'false' }).ANALYTICS_ENABLED, false);
  for (const bad of ['7000', '50', '120000', 'soon']) {
    assert.throws(
      () => loadConfig(configSchema, { ANALYTICS_FLUSH_INTERVAL_MS: bad }),
      (err: Error) => err instanceof ConfigError && /ANALYTICS_FLUSH_INTERVAL_MS/.test(err.message),
      bad,
    );
  }
});
