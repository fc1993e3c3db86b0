/** Composition root of the key-manager. */
import { connectMongo, listen, mongoHealth, runService } from '@portico/core';
import { EventBus, kafkaHealth, topicNames, topicSpecs } from '@portico/events';
import { createAdminApp, createApp } from './app.ts';
import { configSchema } from './config.ts';

await runService('key-manager', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  lifecycle.onStop('mongo', () => mongo.close());

  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-key-manager', logger });
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 30 * 24 * 3600 * 1000 }));
  const publisher = await bus.publisher();
  lifecycle.onStop('kafka-publisher', () => publisher.close());

  const services = {
    logger,
    metrics,
    readiness: [mongoHealth(mongo), kafkaHealth(bus)],
    isDraining: lifecycle.isDraining,
  };
  await listen(createApp(services), config.PORT, config.HOST, lifecycle, 'http-public');
  await listen(createAdminApp(services), config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info(
    { port: config.PORT, adminPort: config.ADMIN_PORT, issuer: config.ISSUER },
    'key-manager listening',
  );
});
