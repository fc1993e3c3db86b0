/** Composition root of the gateway. */
import { listen, runService } from '@portico/core';
import { EventBus, kafkaHealth } from '@portico/events';
import { createApp } from './app.ts';
import { configSchema } from './config.ts';
import { createRedis, redisHealth } from './redis.ts';

await runService('gateway', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  const redis = createRedis(config.REDIS_URL, logger);
  lifecycle.onStop('redis', async () => {
    redis.disconnect();
  });
  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-gateway', logger });

  const app = createApp({
    logger,
    metrics,
    readiness: [redisHealth(redis), kafkaHealth(bus)],
    isDraining: lifecycle.isDraining,
  });
  await listen(app, config.PORT, config.HOST, lifecycle);
  logger.info({ port: config.PORT }, 'gateway listening');
});
