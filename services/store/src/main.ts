/** Composition root of the store. */
import { connectMongo, listen, mongoHealth, runService } from '@portico/core';
import { EventBus, kafkaHealth, topicNames, topicSpecs } from '@portico/events';
import { createApp } from './app.ts';
import { configSchema } from './config.ts';

await runService('store', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  lifecycle.onStop('mongo', () => mongo.close());

  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-store', logger });
  await bus.ensureTopics(
    topicSpecs(topicNames(config.KAFKA_TOPIC_PREFIX), { revocationRetentionMs: 30 * 24 * 3600 * 1000 }),
  );
  const publisher = await bus.publisher();
  lifecycle.onStop('kafka-publisher', () => publisher.close());

  const app = createApp({
    logger,
    metrics,
    readiness: [mongoHealth(mongo), kafkaHealth(bus)],
    isDraining: lifecycle.isDraining,
  });
  await listen(app, config.PORT, config.HOST, lifecycle);
  logger.info({ port: config.PORT }, 'store listening');
});
