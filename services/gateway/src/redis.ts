import { readFileSync } from 'node:fs';
import type { Logger } from '@portico/core';
import { ConfigError } from '@portico/core';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { Cluster, Redis } from 'ioredis';
import type { RedisSettings } from './config.ts';

/**
 * Redis is deliberately not a readiness check: without it the gateway keeps serving from its
 * in-process cache and the key-manager (docs/adr/0032).
 *
 * Clients never queue commands while disconnected (so a Redis outage or a failover fails fast
 * instead of hanging requests) and keep reconnecting in the background. One server, Sentinel
 * and Cluster give the same command surface; the key design that makes the Lua scripts work on a
 * Cluster is in docs/adr/0037.
 */
export type RedisClient = Redis | Cluster;

// Reconnect quickly and keep trying every second: after a failover the promoted master is
// found within about a second of the sentinels naming it (docs/adr/0037).
const retryStrategy = (times: number) => Math.min(times * 100, 1000);

/** A client for one server at `url` (tests and tools; the service uses createRedisClient). */
export function createRedis(url: string, logger: Logger, commandTimeoutMs = 250): Redis {
  return watch(new Redis(url, connectionOptions(commandTimeoutMs)), logger);
}

/** The client for the configured topology: one server, a Sentinel-managed master, or a Cluster. */
export function createRedisClient(settings: RedisSettings, logger: Logger): RedisClient {
  const base = connectionOptions(settings.commandTimeoutMs);
  const auth: RedisOptions = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: settings.tls.caFile ? { ca: readCa(settings.tls.caFile) } : {} } : {}),
  };
  const { topology } = settings;
  switch (topology.mode) {
    case 'standalone':
      return watch(new Redis(topology.url, { ...base, ...auth }), logger);
    case 'sentinel':
      return watch(
        new Redis({
          ...base,
          ...auth,
          sentinels: topology.sentinels,
          name: topology.name,
          role: 'master',
          // The sentinels take the same credentials and TLS as the data nodes.
          ...(settings.username ? { sentinelUsername: settings.username } : {}),
          ...(settings.password ? { sentinelPassword: settings.password } : {}),
          ...(settings.tls ? { enableTLSForSentinelMode: true, sentinelTLS: auth.tls ?? {} } : {}),
          sentinelRetryStrategy: retryStrategy,
          // Subscribes to +switch-master: a promoted replica is used at once, not after a timeout.
          failoverDetector: true,
        }),
        logger,
      );
    case 'cluster': {
      const options: ClusterOptions = {
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        // MOVED/ASK and TRYAGAIN during a resharding or failover: a few quick retries, still
        // bounded by the command timeout.
        maxRedirections: 4,
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 50,
        slotsRefreshTimeout: 2000,
        redisOptions: { ...base, ...auth },
      };
      return watch(new Cluster(topology.nodes, options), logger);
    }
  }
}

/** A CA bundle that cannot be read stops the start like any other bad setting. */
function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `REDIS_TLS_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
}

function connectionOptions(commandTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy,
  };
}

function watch<T extends RedisClient>(redis: T, logger: Logger): T {
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
