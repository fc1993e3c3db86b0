/** The key-manager creates the topics it owns (docs/adr/0066) and refuses a replication the cluster cannot hold. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@portico/core';
import { startKeyManager } from './harness.ts';

test('start creates the revocations and clients topics, nothing else', async (t) => {
  const km = await startKeyManager({}, { startRelay: true });
  t.after(() => km.close());
  const prefix = km.config.KAFKA_TOPIC_PREFIX;
  const topics = (await km.bus.admin((a) => a.listTopics())).filter((n) => n.startsWith(prefix)).sort();
  assert.deepEqual(topics, [`${prefix}portico.clients.v1`, `${prefix}portico.revocations.v1`]);
});

test('KAFKA_REPLICATION_FACTOR larger than the cluster stops the start with a ConfigError naming it', async () => {
  const outcome = await startKeyManager({ KAFKA_REPLICATION_FACTOR: '2' }).then(
    async (km) => {
      await km.close();
      return 'started';
    },
    (err: unknown) => err,
  );
  assert.ok(outcome instanceof ConfigError, `expected a ConfigError, got ${String(outcome)}`);
  assert.match(outcome.message, /KAFKA_REPLICATION_FACTOR/);
});
