/**
 * Topic ownership and replication against the real (single-broker) Kafka: each service creates
 * only its own topics, replication defaults to min(3, brokers), a factor the cluster cannot hold
 * is a ConfigError, and an existing topic with weaker settings is reported, never changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, createMetrics, loadConfig } from '@portico/core';
import { memoryLogger, sharedInfra, testLogger, uniqueName } from '@portico/testing';
import { z } from 'zod';
import {
  EventBus,
  kafkaTopicConfigShape,
  ownedTopicSpecs,
  replicationOf,
  resolveReplication,
  TOPIC_BASE_NAMES,
  TOPIC_OWNERS,
  TOPIC_RESOURCE,
  topicNames,
  USAGE_TOPIC_BASE_NAME,
} from '../src/index.ts';

const { kafkaBrokers } = sharedInfra();
/** The two settings as every topic-creating service reads them. */
const schema = z.object(kafkaTopicConfigShape);

function bus(logger = testLogger('topics-test')) {
  return new EventBus({ brokers: kafkaBrokers, clientId: uniqueName('topics'), logger });
}

async function describe(b: EventBus, topic: string) {
  return b.admin(async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic }],
    });
    const entries = configs.resources[0]?.configEntries ?? [];
    return {
      replicas: meta.topics[0]?.partitions[0]?.replicas.length,
      config: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
    };
  });
}

async function deleteTopics(b: EventBus, prefix: string) {
  await b
    .admin(async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 5000 });
    })
    .catch(() => undefined);
}

test('each topic has one owner: the key-manager creates revocations and clients, the store never does', () => {
  const names = (owner: Parameters<typeof ownedTopicSpecs>[0]) =>
    ownedTopicSpecs(owner, { prefix: 'p.' }).map((s) => s.topic);
  const t = topicNames('p.');
  assert.deepEqual(names('key-manager'), [t.revocations, t.clients]);
  assert.deepEqual(names('store'), [t.applications, t.subscriptions, t.apis]);
  assert.deepEqual(names('gateway'), [`p.${USAGE_TOPIC_BASE_NAME}`]);
  assert.deepEqual(Object.keys(TOPIC_OWNERS).sort(), [...Object.keys(TOPIC_BASE_NAMES), 'usage'].sort());
  const revocations = ownedTopicSpecs('key-manager', { revocationRetentionMs: 1234 })[0];
  assert.equal(revocations?.configEntries.find((e) => e.name === 'retention.ms')?.value, '1234');
});

test('replication defaults to min(3, brokers) and min.insync.replicas to one less, at least 1', () => {
  assert.deepEqual(resolveReplication({}, 1), { replicationFactor: 1, minInsyncReplicas: 1 });
  assert.deepEqual(resolveReplication({}, 2), { replicationFactor: 2, minInsyncReplicas: 1 });
  assert.deepEqual(resolveReplication({}, 5), { replicationFactor: 3, minInsyncReplicas: 2 });
  assert.deepEqual(resolveReplication({ replicationFactor: 3, minInsyncReplicas: 3 }, 3), {
    replicationFactor: 3,
    minInsyncReplicas: 3,
  });
  assert.throws(() => resolveReplication({ replicationFactor: 2, minInsyncReplicas: 3 }, 3), ConfigError);
  const env = { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' };
  assert.deepEqual(replicationOf(loadConfig(schema, env)), { replicationFactor: 3, minInsyncReplicas: 2 });
  assert.deepEqual(replicationOf(loadConfig(schema, { KAFKA_REPLICATION_FACTOR: '' })), {
    replicationFactor: undefined,
    minInsyncReplicas: undefined,
  });
});

test('on one broker the owned topics are created with replication factor 1 and min.insync.replicas 1', async (t) => {
  const b = bus();
  const prefix = `${uniqueName('own')}.`;
  t.after(() => deleteTopics(b, prefix));
  const problems = await b.ensureTopics(ownedTopicSpecs('key-manager', { prefix, partitions: 1 }));
  assert.deepEqual(problems, []);
  const found = await describe(b, topicNames(prefix).revocations);
  assert.equal(found.replicas, 1);
  assert.equal(found.config['min.insync.replicas'], '1');
  assert.equal(found.config['cleanup.policy'], 'compact,delete');
  const listed = (await b.admin((a) => a.listTopics())).filter((n) => n.startsWith(prefix));
  assert.deepEqual(listed.sort(), [topicNames(prefix).clients, topicNames(prefix).revocations].sort());
});

test('KAFKA_REPLICATION_FACTOR=2 on one broker fails fast with a ConfigError naming it, creating nothing', async (t) => {
  const b = bus();
  const prefix = `${uniqueName('rf2')}.`;
  t.after(() => deleteTopics(b, prefix));
  const config = loadConfig(schema, { KAFKA_REPLICATION_FACTOR: '2' });
  const started = Date.now();
  await assert.rejects(
    b.ensureTopics(ownedTopicSpecs('key-manager', { prefix, partitions: 1 }), {
      replication: replicationOf(config),
    }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /KAFKA_REPLICATION_FACTOR: 2 replicas need as many brokers; the cluster has 1/.test(err.message),
  );
  assert.ok(Date.now() - started < 10_000, 'no hang');
  const listed = (await b.admin((a) => a.listTopics())).filter((n) => n.startsWith(prefix));
  assert.deepEqual(listed, []);
});

test('an existing topic with cleanup.policy=delete is reported (warning, gauge = 1) and left as it is', async (t) => {
  const log = memoryLogger('topics-test', 'warn');
  const b = bus(log.logger);
  const prefix = `${uniqueName('weak')}.`;
  t.after(() => deleteTopics(b, prefix));
  const topics = topicNames(prefix);
  await b.admin((a) =>
    a.createTopics({
      topics: [
        {
          topic: topics.apis,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ],
      waitForLeaders: true,
    }),
  );
  const metrics = createMetrics('topics-test');
  const problems = await b.ensureTopics(ownedTopicSpecs('store', { prefix, partitions: 1 }), { metrics });
  assert.deepEqual(problems, [
    { topic: topics.apis, setting: 'cleanup.policy', found: 'delete', wanted: 'compact' },
  ]);
  const text = await metrics.registry.metrics();
  const gauge = (setting: string) =>
    new RegExp(
      `^portico_kafka_topic_misconfigured\\{[^}]*topic="${topics.apis.replaceAll('.', '\\.')}"[^}]*setting="${setting}"[^}]*\\} (\\d)$`,
      'm',
    ).exec(text)?.[1];
  assert.equal(gauge('cleanup.policy'), '1');
  assert.equal(gauge('replication.factor'), '0');
  assert.equal(gauge('min.insync.replicas'), '0');
  const warning = log.lines().find((l) => l.includes('weaker settings'));
  assert.ok(warning, 'a warning is logged');
  assert.match(warning, new RegExp(topics.apis.replaceAll('.', '\\.')));
  assert.match(warning, /"setting":"cleanup.policy"/);
  assert.match(warning, /"found":"delete"/);
  assert.match(warning, /"wanted":"compact"/);
  assert.equal((await describe(b, topics.apis)).config['cleanup.policy'], 'delete', 'not altered');
  assert.equal(
    (await describe(b, topics.applications)).config['cleanup.policy'],
    'compact',
    'missing ones created',
  );
});
