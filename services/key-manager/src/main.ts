/** Composition root of the key-manager. */
import { ConfigError, connectMongo, listen, mongoHealth, runService } from '@portico/core';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import { createAdminApp, createApp } from './app.ts';
import type { Config } from './config.ts';
import { configSchema, DEV_ADMIN_TOKEN, DEV_PORTAL_SECRET } from './config.ts';
import { buildKeyManager } from './keyManager.ts';

/** Secrets that have development fallbacks must be real in production. */
function assertProductionSecrets(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  if (!config.TOKEN_HASH_KEY) problems.push('TOKEN_HASH_KEY: required in production (got unset)');
  if (!config.GATEWAY_CLIENT_SECRET)
    problems.push('GATEWAY_CLIENT_SECRET: required in production (got unset)');
  if (config.COOKIE_KEYS.length === 0) problems.push('COOKIE_KEYS: required in production (got unset)');
  if (config.KEY_MANAGER_ADMIN_TOKEN === DEV_ADMIN_TOKEN) {
    problems.push('KEY_MANAGER_ADMIN_TOKEN: the development default is not allowed in production');
  }
  if (config.PORTAL_CLIENT_SECRET === DEV_PORTAL_SECRET) {
    problems.push('PORTAL_CLIENT_SECRET: the development default is not allowed in production');
  }
  if (problems.length > 0) throw new ConfigError(problems);
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
    clientsTopic: topics.clients,
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
