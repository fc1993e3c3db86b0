/** The store process: configuration, the real ports, listening, signals (runService). */
import { ConfigError, connectMongo, listen, runService } from '@portico/core';
import { EventBus, ownedTopicSpecs, replicationOf } from '@portico/events';
import { assertProductionReady, configSchema } from './config.ts';
import { kafkaOffsetReader } from './domain/read-model.ts';
import { OidcIdentityProvider } from './identity/oidc.ts';
import { HttpKeyManagerClient } from './keymanager/http.ts';
import { buildStore } from './store.ts';

await runService('store', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  assertProductionReady(config);
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  lifecycle.onStop('mongo', () => mongo.close());

  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-store', logger });
  // Only the topics the store owns (docs/adr/0066). Kafka may be down at start-up: the API still
  // serves and the outbox relay catches up later; a replication the cluster cannot hold stops here.
  await bus
    .ensureTopics(ownedTopicSpecs('store', { prefix: config.KAFKA_TOPIC_PREFIX }), {
      replication: replicationOf(config),
      metrics,
    })
    .catch((err) => {
      if (err instanceof ConfigError) throw err;
      logger.warn({ err: (err as Error).message }, 'cannot ensure topics yet');
    });
  const publisher = await bus.publisher();
  lifecycle.onStop('kafka-publisher', () => publisher.close());

  const store = buildStore(config, {
    conn: mongo,
    publisher,
    offsets: kafkaOffsetReader(bus),
    keyManager: new HttpKeyManagerClient({
      adminUrl: config.KEY_MANAGER_ADMIN_URL,
      adminToken: config.KEY_MANAGER_ADMIN_TOKEN,
      timeoutMs: config.KEY_MANAGER_TIMEOUT_MS,
    }),
    bus,
    identity: new OidcIdentityProvider({
      issuer: config.KEY_MANAGER_URL,
      clientId: config.PORTAL_CLIENT_ID,
      clientSecret: config.PORTAL_CLIENT_SECRET,
      timeoutMs: config.KEY_MANAGER_TIMEOUT_MS,
    }),
    logger,
    metrics,
    isDraining: lifecycle.isDraining,
  });
  await store.start();
  lifecycle.onStop('outbox-relay', () => store.stop());

  await listen(store.app, config.PORT, config.HOST, lifecycle);
  await listen(store.adminApp, config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info({ port: config.PORT, adminPort: config.ADMIN_PORT }, 'store listening');
});
