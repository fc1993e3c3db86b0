/**
 * The gateway's real app and plugin chain in the test process, with chosen twins or real
 * implementations of its ports. Listens on ephemeral ports (public and admin).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, loadConfig } from '@portico/core';
import type { ReadModelSnapshot } from '@portico/events';
import { testLogger } from '@portico/testing';
import type { JWTVerifyGetKey } from 'jose';
import { createAdminApp, createApp } from '../../src/app.ts';
import type { SharedTokenCache } from '../../src/auth/cache.ts';
import { InMemoryTokenCache } from '../../src/auth/cache.ts';
import { InMemoryProofReplayStore } from '../../src/auth/dpop-replay.ts';
import type { TokenIntrospector } from '../../src/auth/introspection.ts';
import { InMemoryIntrospector } from '../../src/auth/introspection.ts';
import { JwtVerifier } from '../../src/auth/jwt.ts';
import { TokenValidator } from '../../src/auth/validator.ts';
import type { Config } from '../../src/config.ts';
import { configSchema } from '../../src/config.ts';
import { createGatewayMetrics } from '../../src/metrics.ts';
import { gatewayPlugins } from '../../src/plugins/index.ts';
import { BackendJwtSigner } from '../../src/proxy/backend-jwt.ts';
import { createForwarder } from '../../src/proxy/forward.ts';
import type { RateLimitStore } from '../../src/ratelimit/limiter.ts';
import { InMemoryRateLimitStore } from '../../src/ratelimit/limiter.ts';
import { ReadModel } from '../../src/readmodel/model.ts';
import { DenyList } from '../../src/revocation/denylist.ts';

export interface TestGatewayOptions {
  snapshot?: ReadModelSnapshot;
  env?: Record<string, string>;
  introspector?: TokenIntrospector;
  shared?: SharedTokenCache;
  rateLimits?: RateLimitStore;
  jwtKeySet?: JWTVerifyGetKey;
  revocationsLoaded?: () => boolean;
}

export interface TestGateway {
  url: string;
  adminUrl: string;
  config: Config;
  model: ReadModel;
  denyList: DenyList;
  validator: TokenValidator;
  introspector: TokenIntrospector;
  signer: BackendJwtSigner;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig(configSchema, { UPSTREAM_TIMEOUT_MS: '1500', ...options.env });
  const logger = testLogger('gateway');
  const metrics = createMetrics('gateway');
  const gatewayMetrics = createGatewayMetrics(metrics);
  const model = new ReadModel();
  if (options.snapshot) model.loadSnapshot(options.snapshot);
  model.markLoaded();
  const denyList = new DenyList();
  const introspector = options.introspector ?? new InMemoryIntrospector();
  const validator = new TokenValidator({
    denyList,
    shared: options.shared ?? new InMemoryTokenCache(),
    introspector,
    jwt: new JwtVerifier({
      jwksUrl: 'http://127.0.0.1:1/jwks',
      issuer: config.KEY_MANAGER_ISSUER || config.KEY_MANAGER_URL,
      audience: config.TOKEN_AUDIENCE,
      cooldownMs: config.JWKS_COOLDOWN_MS,
      maxAgeMs: config.JWKS_MAX_AGE_MS,
      timeoutMs: config.KEY_MANAGER_TIMEOUT_MS,
      clockToleranceSeconds: config.CLOCK_TOLERANCE_SECONDS,
      ...(options.jwtKeySet ? { keySet: options.jwtKeySet } : {}),
    }),
    ttlSeconds: config.TOKEN_CACHE_TTL_SECONDS,
    negativeTtlSeconds: config.TOKEN_NEGATIVE_CACHE_TTL_SECONDS,
    maxEntries: config.TOKEN_CACHE_MAX_ENTRIES,
  });
  const signer = await BackendJwtSigner.create({
    key: config.BACKEND_JWT_SIGNING_KEY,
    issuer: config.BACKEND_JWT_ISSUER,
    ttlSeconds: config.BACKEND_JWT_TTL_SECONDS,
  });
  const upstreams = createForwarder(config.UPSTREAM_TIMEOUT_MS);
  const services = {
    logger,
    metrics,
    gatewayMetrics,
    readiness: [],
    signer,
    plugins: gatewayPlugins(config, {
      model,
      validator,
      revocationsLoaded: options.revocationsLoaded ?? (() => true),
      rateLimits: options.rateLimits ?? new InMemoryRateLimitStore(),
      proofReplay: new InMemoryProofReplayStore(),
      signer,
      forward: upstreams.forward,
      metrics: gatewayMetrics,
      logger,
    }),
  };
  const servers: Server[] = [];
  const listenOn = async (app: ReturnType<typeof createApp>) => {
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const url = await listenOn(createApp(services));
  const adminUrl = await listenOn(createAdminApp(services));
  return {
    url,
    adminUrl,
    config,
    model,
    denyList,
    validator,
    introspector,
    signer,
    metricsText: () => metrics.registry.metrics(),
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(() => r(undefined)));
      }
      await upstreams.close();
    },
  };
}
