/** The key-manager process: configuration, the real ports, listening, signals (runService). */
import { connectMongo, listen, runService } from '@portico/core';
import { EventBus, ownedTopicSpecs, replicationOf } from '@portico/events';
import { assertProductionSecrets, configSchema } from './config.ts';
import { buildKeyManager } from './keyManager.ts';

await runService('key-manager', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  assertProductionSecrets(config);
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  lifecycle.onStop('mongo', () => mongo.close());

  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-key-manager', logger });
  const publisher = await bus.publisher();
  lifecycle.onStop('kafka-publisher', () => publisher.close());

  const km = await buildKeyManager(config, {
    conn: mongo,
    publisher,
    ensureTopics: () =>
      bus.ensureTopics(
        ownedTopicSpecs('key-manager', {
          prefix: config.KAFKA_TOPIC_PREFIX,
          revocationRetentionMs: config.REVOCATION_TOPIC_RETENTION_MS,
        }),
        { replication: replicationOf(config), metrics },
      ),
    logger,
    metrics,
    isDraining: lifecycle.isDraining,
  });
  await km.start();
  lifecycle.onStop('outbox-relay', () => km.stop());

  await listen(km.app, config.PORT, config.HOST, lifecycle, 'http-public');
  await listen(km.adminApp, config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info(
    { port: config.PORT, adminPort: config.ADMIN_PORT, issuer: config.ISSUER },
    'key-manager listening',
  );
});
