// kafkajs against the shared broker (scripts/infra.sh start, or KAFKA_BROKERS).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Admin, Consumer, Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { sharedInfra } from '../src/infra.ts';
import { eventually, uniqueId } from './support.ts';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

describe('kafkajs on the shared Kafka', () => {
  const kafka = new Kafka({
    clientId: 'portico-testing',
    brokers: sharedInfra().kafkaBrokers,
    logLevel: logLevel.ERROR,
    connectionTimeout: 3000,
  });
  const compacted = uniqueId('portico-test-compacted');
  const events = uniqueId('portico-test-events');
  const broadcast = uniqueId('portico-test-broadcast');
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  after(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer?.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [compacted, events, broadcast] }).catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  });

  async function collect(groupId: string, topic: string, into: string[]): Promise<Consumer> {
    // A short fetch wait: disconnect() waits for the fetch in flight.
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        into.push(message.value?.toString() ?? '');
      },
    });
    return consumer;
  }

  test('admin creates a compacted topic and a normal one', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: compacted,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
        { topic: events, numPartitions: 2, replicationFactor: 1 },
        { topic: broadcast, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    assert.equal(created, true);

    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [compacted, events].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy'],
      })),
    });
    const policy = (name: string) =>
      described.resources
        .find((r) => r.resourceName === name)
        ?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    assert.equal(policy(compacted), 'compact');
    assert.equal(policy(events), 'delete');

    const metadata = await admin.fetchTopicMetadata({ topics: [events] });
    assert.equal(metadata.topics[0]?.partitions.length, 2);
  });

  test('a compacted topic takes keyed records and refuses records without a key', async () => {
    const [ack] = await producer.send({ topic: compacted, messages: [{ key: 'api-1', value: 'v1' }] });
    assert.equal(ack?.errorCode, 0);
    const quiet = new Kafka({
      clientId: 'portico-testing',
      brokers: sharedInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const strict = quiet.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await strict.connect();
    try {
      // Kafka 4 answers INVALID_RECORD ("failed the validation on broker"); older brokers CORRUPT_MESSAGE.
      await assert.rejects(
        strict.send({ topic: compacted, messages: [{ value: 'no key' }] }),
        (err: { type?: string }) => {
          assert.ok(
            ['INVALID_RECORD', 'CORRUPT_MESSAGE'].includes(err.type ?? ''),
            `unexpected error type ${err.type}`,
          );
          return true;
        },
      );
    } finally {
      await strict.disconnect();
    }
  });

  test('produce, then consume in a consumer group', async () => {
    const sent = Array.from({ length: 10 }, (_, i) => `event-${i}`);
    await producer.send({ topic: events, messages: sent.map((value, i) => ({ key: `k${i % 3}`, value })) });
    const received: string[] = [];
    await collect(uniqueId('portico-test-group'), events, received);
    await eventually(
      () => received.length >= sent.length,
      `group received ${received.length}/${sent.length}`,
    );
    assert.deepEqual([...received].sort(), [...sent].sort());
  });

  test('broadcast: consumers in different groups each receive every message', async () => {
    const a: string[] = [];
    const b: string[] = [];
    await collect(uniqueId('portico-test-instance-a'), broadcast, a);
    await collect(uniqueId('portico-test-instance-b'), broadcast, b);
    const sent = Array.from({ length: 5 }, (_, i) => `invalidate-${i}`);
    for (const value of sent) await producer.send({ topic: broadcast, messages: [{ value }] });
    await eventually(
      () => a.length >= sent.length && b.length >= sent.length,
      `broadcast received a=${a.length} b=${b.length} of ${sent.length}`,
    );
    assert.deepEqual(a, sent);
    assert.deepEqual(b, sent);
  });
});
