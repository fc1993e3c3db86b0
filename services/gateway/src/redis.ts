import type { Logger } from '@portico/core';
import { Redis } from 'ioredis';

/**
 * Redis is deliberately not a readiness check: without it the gateway keeps serving from its
 * in-process cache and the key-manager (docs/adr/0032).
 *
 * A Redis client that never queues commands while disconnected (so a Redis outage fails fast
 * instead of hanging requests) and keeps reconnecting in the background.
 */
export function createRedis(url: string, logger: Logger, commandTimeoutMs = 250): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastState = '';
  redis.on('error', (err: Error) => {
    if (lastState !== err.message) logger.warn({ err: err.message }, 'redis error');
    lastState = err.message;
  });
  redis.on('ready', () => {
    lastState = '';
    logger.info('redis ready');
  });
  return redis;
}
