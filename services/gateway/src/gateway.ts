/**
 * Builds the gateway from its configuration and its ports (Redis, the followed streams, the
 * key-manager's introspection): the deny-list, the validator, the read model, the plugin chain,
 * the public app (PORT) and the admin app (ADMIN_PORT), and start/stop. main.ts passes Redis and
 * Kafka; the in-process tests pass in-memory twins of our own ports. Nothing here listens.
 */
import { hostname } from 'node:os';
import type { HealthCheck, Logger, Metrics } from '@portico/core';
import type { RunningConsumer } from '@portico/events';
import type { Express } from 'express';
import { usageHook } from './analytics/hook.ts';
import { startUsageReporter } from './analytics/start.ts';
import { createAdminApp, createApp } from './app.ts';
import type { SharedTokenCache } from './auth/cache.ts';
import { sharedTokenCache } from './auth/cache.ts';
import type { ProofReplayStore } from './auth/dpop.ts';
import { redisProofReplayStore } from './auth/dpop-replay.ts';
import type { TokenIntrospector } from './auth/introspection.ts';
import { HttpIntrospector } from './auth/introspection.ts';
import { JwtVerifier } from './auth/jwt.ts';
import { TokenValidator } from './auth/validator.ts';
import type { Config } from './config.ts';
import type { GatewayFeeds } from './feeds.ts';
import { createGatewayMetrics } from './metrics.ts';
import { gatewayPlugins } from './plugins/index.ts';
import { BackendJwtSigner } from './proxy/backend-jwt.ts';
import { createForwarder } from './proxy/forward.ts';
import type { RateLimitStore } from './ratelimit/limiter.ts';
import { RedisRateLimitStore } from './ratelimit/limiter.ts';
import type { SnapshotSource } from './readmodel/loader.ts';
import { fetchSnapshot } from './readmodel/loader.ts';
import { ReadModel } from './readmodel/model.ts';
import type { RedisClient } from './redis.ts';
import { DenyList } from './revocation/denylist.ts';

export interface GatewayPorts {
  logger: Logger;
  metrics: Metrics;
  /** Revocations and entity events (main.ts: kafkaFeeds). */
  feeds: GatewayFeeds;
  /** Holds the shared token cache and the rate-limit counters unless both are given below. */
  redis?: RedisClient;
  tokenCache?: SharedTokenCache;
  rateLimits?: RateLimitStore;
  /** Where DPoP proof ids are remembered across replicas (default: Redis). */
  proofReplay?: ProofReplayStore;
  /** Defaults to the key-manager's introspection endpoint over HTTP. */
  introspector?: TokenIntrospector;
  /** True once shutdown has begun (/readyz answers 503, start-up retries give up). */
  isDraining?: () => boolean;
}

export interface Gateway {
  /** The proxy: every request runs the plugin chain (PORT). */
  app: Express;
  /** Probes, /metrics and the backend-JWT JWKS, never exposed by the ingress (ADMIN_PORT). */
  adminApp: Express;
  /**
   * Follows the streams in the background (the snapshot first, then the topics; failures are
   * retried) and resolves once both have caught up; /readyz says the same.
   */
  start(): Promise<void>;
  /** Run after the listeners have drained: the last usage window is then complete. */
  stop(): Promise<void>;
  /** GATEWAY_REPLICA_ID, or the host name. */
  replica: string;
  // Reached by tests to feed and look at state.
  model: ReadModel;
  denyList: DenyList;
  signer: BackendJwtSigner;
}

export async function buildGateway(config: Config, ports: GatewayPorts): Promise<Gateway> {
  const { logger, metrics } = ports;
  const replica = config.GATEWAY_REPLICA_ID || hostname();
  const gatewayMetrics = createGatewayMetrics(metrics);
  const redis = (): RedisClient => {
    if (!ports.redis)
      throw new Error(
        'buildGateway: redis is required unless tokenCache, rateLimits and proofReplay are given',
      );
    return ports.redis;
  };
  let stopping = false;
  const isDraining = () => stopping || ports.isDraining?.() === true;

  const kmUrl = config.KEY_MANAGER_URL.replace(/\/+$/, '');
  const denyList = new DenyList();
  const validator = new TokenValidator({
    denyList,
    shared:
      ports.tokenCache ??
      sharedTokenCache(redis(), config, () => gatewayMetrics.cacheIntegrityFailures.inc(), logger),
    introspector:
      ports.introspector ??
      new HttpIntrospector({
        endpoint: `${kmUrl}/token/introspection`,
        clientId: config.GATEWAY_CLIENT_ID,
        clientSecret: config.GATEWAY_CLIENT_SECRET,
        timeoutMs: config.KEY_MANAGER_TIMEOUT_MS,
        maxConcurrency: config.KEY_MANAGER_MAX_CONCURRENCY,
      }),
    jwt: new JwtVerifier({
      jwksUrl: `${kmUrl}/jwks`,
      issuer: config.KEY_MANAGER_ISSUER || kmUrl,
      audience: config.TOKEN_AUDIENCE,
      cooldownMs: config.JWKS_COOLDOWN_MS,
      maxAgeMs: config.JWKS_MAX_AGE_MS,
      timeoutMs: config.KEY_MANAGER_TIMEOUT_MS,
      clockToleranceSeconds: config.CLOCK_TOLERANCE_SECONDS,
    }),
    ttlSeconds: config.TOKEN_CACHE_TTL_SECONDS,
    negativeTtlSeconds: config.TOKEN_NEGATIVE_CACHE_TTL_SECONDS,
    maxEntries: config.TOKEN_CACHE_MAX_ENTRIES,
    observer: {
      cacheLookup: (level, hit) => gatewayMetrics.cacheLookups.inc({ level, result: hit ? 'hit' : 'miss' }),
      validated: (source, outcome) => gatewayMetrics.validations.inc({ source, outcome }),
      cacheError: (op) => gatewayMetrics.redisErrors.inc({ op: `cache-${op}` }),
    },
  });

  const signer = await BackendJwtSigner.create({
    key: config.BACKEND_JWT_SIGNING_KEY,
    verificationKeys: config.BACKEND_JWT_PUBLISHED_JWKS,
    issuer: config.BACKEND_JWT_ISSUER,
    ttlSeconds: config.BACKEND_JWT_TTL_SECONDS,
  });
  if (signer.ephemeral && config.BACKEND_JWT_ENABLED) {
    logger.warn(
      'BACKEND_JWT_SIGNING_KEY is not set: using an ephemeral key (each replica publishes its own JWKS)',
    );
  }

  // Filled in by start(): the listeners may come up first, /readyz says when the replay is done.
  const model = new ReadModel();
  let revocations: RunningConsumer | undefined;
  let entities: RunningConsumer | undefined;
  let startupError: string | undefined;
  const consumers: RunningConsumer[] = [];
  const snapshotSource: SnapshotSource | undefined = config.READ_MODEL_FILE
    ? { kind: 'file', path: config.READ_MODEL_FILE }
    : config.STORE_URL
      ? { kind: 'store', url: config.STORE_URL, token: config.READ_MODEL_TOKEN, timeoutMs: 10_000 }
      : undefined;

  const readiness: HealthCheck[] = [
    {
      name: 'revocations',
      check: () => {
        if (!revocations) throw new Error(startupError ?? 'consumer starting');
        revocations.health().check();
        if (!revocations.isCaughtUp()) throw new Error(`replaying (${revocations.lag()} left)`);
      },
    },
    {
      name: 'read-model',
      check: () => {
        if (!entities) throw new Error(startupError ?? 'loading snapshot');
        entities.health().check();
        if (!model.isLoaded()) throw new Error(`replaying (${entities.lag()} left)`);
      },
    },
  ];
  gatewayMetrics.lagSources.set('revocations', () => revocations?.lag() ?? 0);
  gatewayMetrics.lagSources.set('entities', () => entities?.lag() ?? 0);

  const usage = config.ANALYTICS_ENABLED
    ? await startUsageReporter(config, { replicaId: replica, metrics, logger })
    : undefined;
  const upstreams = createForwarder(config.UPSTREAM_TIMEOUT_MS);

  const services = {
    logger,
    metrics,
    gatewayMetrics,
    readiness,
    signer,
    isDraining,
    ...(usage ? { usage: usageHook(usage, (clientId) => model.keyForClient(clientId)) } : {}),
    plugins: gatewayPlugins(config, {
      model,
      validator,
      revocationsLoaded: () => revocations?.isCaughtUp() === true,
      rateLimits: ports.rateLimits ?? new RedisRateLimitStore(redis()),
      proofReplay: ports.proofReplay ?? redisProofReplayStore(redis(), config.REDIS_KEY_PREFIX),
      signer,
      forward: upstreams.forward,
      metrics: gatewayMetrics,
      logger,
    }),
  };

  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (err) {
        if (isDraining()) throw err;
        startupError = `${what}: ${(err as Error).message}`;
        logger.warn({ attempt, err: (err as Error).message }, `${what} failed, retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  };
  const followRevocations = async () => {
    const consumer = await retry('revocations consumer', () =>
      ports.feeds.revocations({ denyList, validator, metrics: gatewayMetrics, replica, logger }),
    );
    revocations = consumer;
    consumers.push(consumer);
    const t0 = Date.now();
    await consumer.caughtUp;
    logger.info({ ms: Date.now() - t0, entries: denyList.size() }, 'revocations replayed');
  };
  const followEntities = async () => {
    if (snapshotSource) {
      const snapshot = await retry('read model snapshot', () => fetchSnapshot(snapshotSource));
      model.loadSnapshot(snapshot);
      logger.info({ counts: model.counts() }, 'read model snapshot loaded');
    }
    const consumer = await retry('read model consumer', () => ports.feeds.entities(model, logger));
    entities = consumer;
    consumers.push(consumer);
    await consumer.caughtUp;
    model.markLoaded();
    logger.info({ counts: model.counts() }, 'read model caught up');
  };

  const sweep = setInterval(() => denyList.sweep(), 60_000);
  sweep.unref();

  return {
    app: createApp(services),
    adminApp: createAdminApp(services),
    replica,
    model,
    denyList,
    signer,
    async start() {
      // Start-up failures are retried above; a rejection here only happens while shutting down.
      await Promise.all([followRevocations(), followEntities()]).catch((err: unknown) =>
        logger.warn({ err }, 'start-up interrupted'),
      );
    },
    async stop() {
      stopping = true;
      // Each step runs even when an earlier one fails, as lifecycle steps do.
      const steps: Array<[string, () => Promise<void> | void]> = [
        ['upstream-connections', () => upstreams.close()],
        ['usage-analytics', () => usage?.stop()],
        // Both consumers leave their groups in parallel.
        ['kafka-consumers', async () => void (await Promise.all(consumers.map((c) => c.stop())))],
        ['deny-list-sweep', () => clearInterval(sweep)],
      ];
      for (const [step, run] of steps) {
        try {
          await run();
        } catch (err) {
          logger.warn({ err, step }, 'stop step failed');
        }
      }
    },
  };
}
