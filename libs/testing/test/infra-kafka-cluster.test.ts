// startPrivateKafkaCluster: three KRaft nodes on free ports. A topic with three replicas and
// min.insync.replicas=2 keeps taking acks=all writes, and its consumer keeps reading, after the
// partition leader's broker is stopped by pid.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Consumer, Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { PrivateKafkaCluster } from '../src/kafka-cluster.ts';
import { startPrivateKafkaCluster } from '../src/kafka-cluster.ts';
import { eventually, uniqueId } from './support.ts';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

let cluster: PrivateKafkaCluster | undefined;
let producer: Producer | undefined;
let consumer: Consumer | undefined;

after(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await cluster?.dispose();
});

describe('a private three-broker Kafka cluster', { timeout: 240_000 }, () => {
  test('replication 3 / min ISR 2: acks=all writes and reads go on after the leader broker is stopped', async () => {
    cluster = await startPrivateKafkaCluster();
    assert.equal(cluster.brokers.length, 3);
    assert.equal(new Set(cluster.nodes.map((n) => n.port)).size, 3);
    const kafka = new Kafka({
      clientId: 'portico-cluster-test',
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 10_000,
      retry: { initialRetryTime: 200, retries: 10 },
    });
    const topic = uniqueId('portico-test-replicated');
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal((await admin.describeCluster()).brokers.length, 3);
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }],
          },
        ],
      });
      const [config] = (
        await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        })
      ).resources;
      assert.equal(config?.configEntries[0]?.configValue, '2');
      const partition = async () =>
        (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions[0]!;
      const before = await partition();
      assert.equal(before.replicas.length, 3);
      assert.equal(before.isr.length, 3);

      producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const send = (values: string[]) =>
        producer!.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      await send(['a', 'b']);

      const seen: string[] = [];
      consumer = kafka.consumer({ groupId: uniqueId('portico-test-group'), maxWaitTimeInMs: 250 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
        },
      });
      await eventually(() => seen.length >= 2, 'the first two messages are consumed', 60_000);

      // Node ids are 1..3 in `nodes` order: stop the partition leader's broker.
      const leader = cluster.nodes[before.leader - 1]!;
      await leader.stop();
      assert.equal(leader.running, false);
      const afterStop = await eventually(
        async () => {
          const p = await partition();
          return p.leader !== before.leader && p.isr.length === 2 ? p : undefined;
        },
        'a new leader with two in-sync replicas',
        60_000,
      );
      assert.ok(!afterStop.isr.includes(before.leader));

      const [written] = await send(['c', 'd']);
      assert.equal(written?.errorCode, 0);
      await eventually(() => seen.length >= 4, 'the messages written after the stop are consumed', 60_000);
      assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
});
