// The private-instance helpers: each test stops its own server and starts it again on the same port.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Consumer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { MongoClient } from 'mongodb';
import { startPrivateKafka, startPrivateMongo, startPrivateRedis } from '../src/infra.ts';
import { eventually, uniqueId } from './support.ts';

const { Kafka, logLevel } = kafkajs;

describe('private instances', () => {
  test('redis: commands fail while stopped and work again after start, on the same port with the same data', async (t) => {
    const redis = await startPrivateRedis();
    t.after(() => redis.dispose());
    assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(redis.running, true);

    const client = new Redis(redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
      lazyConnect: true,
    });
    client.on('error', () => undefined); // connection errors are expected while the server is down
    t.after(() => client.disconnect());
    await client.connect();
    await client.set('greeting', 'hello');

    await redis.stop();
    assert.equal(redis.running, false);
    await eventually(async () => {
      await client.get('greeting').then(
        () => assert.fail('GET succeeded against a stopped redis'),
        () => undefined,
      );
      return true;
    }, 'GET fails while redis is stopped');
    await assert.rejects(client.ping());

    await redis.start();
    assert.equal(redis.running, true);
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    const value = await eventually(() => client.get('greeting'), 'the client reconnects after start');
    assert.equal(value, 'hello');
  });

  test('mongo: operations fail while stopped and work again after start, with the same data', async (t) => {
    const mongo = await startPrivateMongo();
    t.after(() => mongo.dispose());
    assert.match(mongo.url, /^mongodb:\/\/127\.0\.0\.1:\d+\/$/);

    const client = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
    t.after(() => client.close());
    const apis = client.db(uniqueId('portico_private')).collection<{ name: string }>('apis');
    await apis.insertOne({ name: 'petstore' });

    await mongo.stop();
    await assert.rejects(apis.findOne({ name: 'petstore' }));

    await mongo.start();
    const found = await eventually(
      async () => (await apis.findOne({ name: 'petstore' })) ?? undefined,
      'findOne works again after start',
    );
    assert.equal(found.name, 'petstore');
    await client.close(); // before dispose(): FerretDB's shutdown waits for open connections
  });

  test('kafka: messages and committed offsets survive a stop and start', async (t) => {
    const broker = await startPrivateKafka();
    t.after(() => broker.dispose());
    assert.match(broker.url, /^127\.0\.0\.1:\d+$/);

    const kafka = new Kafka({
      clientId: 'portico-private',
      brokers: [broker.url],
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueId('portico-private');
    const groupId = uniqueId('portico-private-group');

    const consume = async (group: string, count: number): Promise<string[]> => {
      const got: string[] = [];
      // A short fetch wait: disconnect() waits for the fetch in flight.
      const consumer: Consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 250 });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value?.toString() ?? '');
          },
        });
        await eventually(() => got.length >= count, `${group} received ${got.length}/${count}`, 30_000);
      } finally {
        await consumer.disconnect(); // commits what it consumed
      }
      return got;
    };

    const produce = async (values: string[]) => {
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic, messages: values.map((value) => ({ value })) });
      } finally {
        await producer.disconnect();
      }
    };

    await produce(['m1', 'm2', 'm3']);
    assert.deepEqual(await consume(groupId, 3), ['m1', 'm2', 'm3']);

    await broker.stop();
    assert.equal(broker.running, false);
    const probe = new Kafka({
      clientId: 'portico-private-probe',
      brokers: [broker.url],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    });
    await assert.rejects(probe.admin().connect(), 'the stopped broker still accepts clients');

    await broker.start();
    await produce(['m4']);
    assert.deepEqual(await consume(groupId, 1), ['m4'], 'the group resumes after its committed offset');
    assert.deepEqual(await consume(uniqueId('portico-private-fresh'), 4), ['m1', 'm2', 'm3', 'm4']);
  });
});
