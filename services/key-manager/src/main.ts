/** Composition root of the key-manager. */
import { ConfigError, connectMongo, listen, mongoHealth, runService } from '@portico/core';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import { createAdminApp, createApp } from './app.ts';
import type { Config } from './config.ts';
import { configSchema } from './config.ts';
import { buildKeyManager } from './keyManager.ts';

/** Secrets that have development fallbacks must be real in production. */
function assertProductionSecrets(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const missing = (['TOKEN_HASH_KEY', 'KEY_MANAGER_ADMIN_TOKEN', 'GATEWAY_CLIENT_SECRET'] as const).filter(
    (k) => !config[k],
  );
  if (config.COOKIE_KEYS.length === 0) missing.push('COOKIE_KEYS' as never);
  if (missing.length > 0)
    throw new ConfigError(missing.map((k) => `${k}: required in production (got unset)`));
}

await runService('key-manager', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  assertProductionSecrets(config);
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  lifecycle.onStop('mongo', () => mongo.close());
  const db = mongo.db;
  if (!db) throw new Error('mongo connection has no database');

  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-key-manager', logger });
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const publisher = await bus.publisher();
  lifecycle.onStop('kafka-publisher', () => publisher.close());

  const km = await buildKeyManager({
    config,
    db,
    publisher,
    // Kafka may be down at start-up: revocations are still accepted (outbox) and the relay
    // creates the topics when it first reaches Kafka.
    ensureTopics: () =>
      bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: config.REVOCATION_TOPIC_RETENTION_MS })),
    revocationsTopic: topics.revocations,
    logger,
    metrics,
  });
  km.relay.start();
  lifecycle.onStop('outbox-relay', () => km.relay.stop());

  const services = {
    logger,
    metrics,
    // Kafka is not a readiness dependency: revocations queue in the outbox while it is down.
    readiness: [mongoHealth(mongo)],
    isDraining: lifecycle.isDraining,
    provider: km.provider,
    issuer: config.ISSUER,
    interactions: km.interactions,
    admin: km.admin,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimits: { perIp: config.TOKEN_RATE_LIMIT_PER_IP, perClient: config.TOKEN_RATE_LIMIT_PER_CLIENT },
  };
  await listen(createApp(services), config.PORT, config.HOST, lifecycle, 'http-public');
  await listen(createAdminApp(services), config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info(
    { port: config.PORT, adminPort: config.ADMIN_PORT, issuer: config.ISSUER },
    'key-manager listening',
  );
});
