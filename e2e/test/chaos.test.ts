/**
 * The chaos scenarios of `make chaos`, shorter (issue 11): the clustered shape (3 Kafka brokers,
 * Redis Sentinel, 2 key-managers and 2 stores behind nginx, 3 gateways) under load, with the
 * revocation topic's partition leader SIGKILLed mid-revocations and a Redis failover: no
 * revocation is lost and both faults recover. The full run (with key-manager and gateway kills)
 * is `make chaos`, written to bench/results/chaos.{md,json}.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from '../../bench/src/chaos.ts';

test('a broker kill mid-revocations and a Redis failover lose no revocation, and both recover', async (t) => {
  const report = await runChaos({ short: true, log: (l) => t.diagnostic(l) });
  t.diagnostic(
    JSON.stringify({
      requests: report.requests,
      failedRequests: report.failedRequests,
      revocations: report.revocations,
      worstMs: report.revokedAcceptedAfterMs,
    }),
  );
  assert.equal(report.brokers, 3);
  assert.equal(report.gatewayReplicas, 3);
  // Created by the key-manager with KAFKA_REPLICATION_FACTOR=3 / KAFKA_MIN_INSYNC_REPLICAS=2.
  assert.equal(report.revocationTopic.replicationFactor, 3);
  assert.equal(report.revocationTopic.minInsyncReplicas, 2);
  assert.ok(report.revocations >= 10, `only ${report.revocations} revocations`);
  assert.equal(report.revocationsLost, 0);
  assert.deepEqual(
    report.faults.map((f) => f.name),
    ['kafka-partition-leader-killed', 'redis-failover'],
  );
  for (const f of report.faults) assert.notEqual(f.recoveryMs, null, `${f.name} did not recover`);
});
