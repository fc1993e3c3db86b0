/** The gateway process: configuration, Redis and Kafka, the two listeners, signals (runService). */
import { listen, runService } from '@portico/core';
import { EventBus, topicNames } from '@portico/events';
import { assertProductionConfig, configSchema, redisSettings } from './config.ts';
import { kafkaFeeds } from './feeds.ts';
import { buildGateway } from './gateway.ts';
import { createRedisClient } from './redis.ts';

await runService('gateway', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  assertProductionConfig(config);
  const redis = createRedisClient(redisSettings(config), logger);
  lifecycle.onStop('redis', () => {
    redis.disconnect();
  });
  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-gateway', logger });

  const gateway = await buildGateway(config, {
    logger,
    metrics,
    redis,
    feeds: kafkaFeeds(bus, topicNames(config.KAFKA_TOPIC_PREFIX)),
    isDraining: lifecycle.isDraining,
  });
  // Registered before the listeners: runs after they have drained, so the last window is complete.
  lifecycle.onStop('gateway', () => gateway.stop());

  await listen(gateway.app, config.PORT, config.HOST, lifecycle, 'http-public');
  await listen(gateway.adminApp, config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info(
    { port: config.PORT, adminPort: config.ADMIN_PORT, replica: gateway.replica },
    'gateway listening',
  );
  // The listeners are up at once; /readyz says when the replay is complete.
  void gateway.start();
});
