/**
 * Composition root of the gateway: config, Redis, Kafka, the read model (snapshot then topics),
 * the deny-list (revocations replayed before ready), the validator, the plugin chain, and the
 * two listeners (public proxy on PORT, admin on ADMIN_PORT).
 */
import { hostname } from 'node:os';
import type { HealthCheck } from '@portico/core';
import { ConfigError, listen, runService } from '@portico/core';
import type { RunningConsumer } from '@portico/events';
import { EventBus, topicNames } from '@portico/events';
import { usageHook } from './analytics/hook.ts';
import { startUsageReporter } from './analytics/start.ts';
import { createAdminApp, createApp } from './app.ts';
import { sharedTokenCache } from './auth/cache.ts';
import { redisProofReplayStore } from './auth/dpop-replay.ts';
import { HttpIntrospector } from './auth/introspection.ts';
import { JwtVerifier } from './auth/jwt.ts';
import { TokenValidator } from './auth/validator.ts';
import type { Config } from './config.ts';
import { configSchema, redisSettings } from './config.ts';
import { createGatewayMetrics } from './metrics.ts';
import { gatewayPlugins } from './plugins/index.ts';
import { BackendJwtSigner } from './proxy/backend-jwt.ts';
import { createForwarder } from './proxy/forward.ts';
import { RedisRateLimitStore } from './ratelimit/limiter.ts';
import { followEntities } from './readmodel/follow.ts';
import type { SnapshotSource } from './readmodel/loader.ts';
import { fetchSnapshot } from './readmodel/loader.ts';
import { ReadModel } from './readmodel/model.ts';
import { createRedisClient } from './redis.ts';
import { followRevocations } from './revocation/consumer.ts';
import { DenyList } from './revocation/denylist.ts';

/** Settings with development fallbacks must be real in production. */
function assertProductionConfig(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  if (!config.GATEWAY_CLIENT_SECRET)
    problems.push('GATEWAY_CLIENT_SECRET: required in production (got unset)');
  if (config.BACKEND_JWT_ENABLED && !config.BACKEND_JWT_SIGNING_KEY) {
    problems.push('BACKEND_JWT_SIGNING_KEY: required in production when BACKEND_JWT_ENABLED (got unset)');
  }
  if (!config.READ_MODEL_FILE && !config.STORE_URL)
    problems.push('STORE_URL: required in production unless READ_MODEL_FILE is set (got unset)');
  if (problems.length > 0) throw new ConfigError(problems);
}

await runService('gateway', configSchema, async ({ config, logger, metrics, lifecycle }) => {
  assertProductionConfig(config);
  const replica = config.GATEWAY_REPLICA_ID || hostname();
  const gatewayMetrics = createGatewayMetrics(metrics);
  const redis = createRedisClient(redisSettings(config), logger);
  lifecycle.onStop('redis', () => {
    redis.disconnect();
  });
  const bus = new EventBus({ brokers: config.KAFKA_BROKERS, clientId: 'portico-gateway', logger });
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);

  const kmUrl = config.KEY_MANAGER_URL.replace(/\/+$/, '');
  const denyList = new DenyList();
  const validator = new TokenValidator({
    denyList,
    shared: sharedTokenCache(redis, config, () => gatewayMetrics.cacheIntegrityFailures.inc(), logger),
    introspector: new HttpIntrospector({
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
  const sweep = setInterval(() => denyList.sweep(), 60_000);
  sweep.unref();
  lifecycle.onStop('deny-list-sweep', () => clearInterval(sweep));
  // Both consumers leave their groups in parallel, after the HTTP listeners have drained.
  const consumers: RunningConsumer[] = [];
  lifecycle.onStop('kafka-consumers', async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  });

  const signer = await BackendJwtSigner.create({
    key: config.BACKEND_JWT_SIGNING_KEY,
    issuer: config.BACKEND_JWT_ISSUER,
    ttlSeconds: config.BACKEND_JWT_TTL_SECONDS,
  });
  if (signer.ephemeral && config.BACKEND_JWT_ENABLED) {
    logger.warn(
      'BACKEND_JWT_SIGNING_KEY is not set: using an ephemeral key (each replica publishes its own JWKS)',
    );
  }

  // Consumers start in the background: the listeners come up at once and /readyz says when the
  // replay is complete.
  const model = new ReadModel();
  let revocations: RunningConsumer | undefined;
  let entities: RunningConsumer | undefined;
  let startupError: string | undefined;
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
  const revocationsLoaded = () => revocations?.isCaughtUp() === true;

  gatewayMetrics.lagSources.set('revocations', () => revocations?.lag() ?? 0);
  gatewayMetrics.lagSources.set('entities', () => entities?.lag() ?? 0);

  // Registered before the listeners: runs after they have drained, so the last window is complete.
  const usage = config.ANALYTICS_ENABLED
    ? await startUsageReporter(config, { replicaId: replica, metrics, logger })
    : undefined;
  lifecycle.onStop('usage-analytics', () => usage?.stop());

  const upstreams = createForwarder(config.UPSTREAM_TIMEOUT_MS);
  lifecycle.onStop('upstream-connections', () => upstreams.close());

  const services = {
    logger,
    metrics,
    gatewayMetrics,
    readiness,
    signer,
    isDraining: lifecycle.isDraining,
    ...(usage ? { usage: usageHook(usage, (clientId) => model.keyForClient(clientId)) } : {}),
    plugins: gatewayPlugins(config, {
      model,
      validator,
      revocationsLoaded,
      rateLimits: new RedisRateLimitStore(redis),
      proofReplay: redisProofReplayStore(redis, config.REDIS_KEY_PREFIX),
      signer,
      forward: upstreams.forward,
      metrics: gatewayMetrics,
      logger,
    }),
  };
  await listen(createApp(services), config.PORT, config.HOST, lifecycle, 'http-public');
  await listen(createAdminApp(services), config.ADMIN_PORT, config.HOST, lifecycle, 'http-admin');
  logger.info({ port: config.PORT, adminPort: config.ADMIN_PORT, replica }, 'gateway listening');

  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (err) {
        if (lifecycle.isDraining()) throw err;
        startupError = `${what}: ${(err as Error).message}`;
        logger.warn({ attempt, err: (err as Error).message }, `${what} failed, retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  };

  const startRevocations = retry('revocations consumer', () =>
    followRevocations({
      bus,
      topic: topics.revocations,
      denyList,
      validator,
      metrics: gatewayMetrics,
      replica,
      logger,
    }),
  ).then((consumer) => {
    revocations = consumer;
    consumers.push(consumer);
    const t0 = Date.now();
    return consumer.caughtUp.then(() =>
      logger.info({ ms: Date.now() - t0, entries: denyList.size() }, 'revocations replayed'),
    );
  });
  const startEntities = (async () => {
    if (snapshotSource) {
      const snapshot = await retry('read model snapshot', () => fetchSnapshot(snapshotSource));
      model.loadSnapshot(snapshot);
      logger.info({ counts: model.counts() }, 'read model snapshot loaded');
    }
    const consumer = await retry('read model consumer', () => followEntities(bus, topics, model, logger));
    entities = consumer;
    consumers.push(consumer);
    await consumer.caughtUp;
    model.markLoaded();
    logger.info({ counts: model.counts() }, 'read model caught up');
  })();
  // Start-up failures are retried above; a rejection here only happens while shutting down.
  void Promise.all([startRevocations, startEntities]).catch((err: unknown) =>
    logger.warn({ err }, 'start-up interrupted'),
  );
});
