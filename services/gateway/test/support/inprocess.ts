/**
 * The gateway as main.ts builds it (buildGateway), in the test process, with in-memory twins of
 * our own ports: introspection, the shared token cache, rate limits and the two followed streams
 * (the snapshot is the read model; "revocations loaded" is the test's switch). Listens on
 * ephemeral ports (public and admin).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, loadConfig } from '@portico/core';
import type { ReadModelSnapshot, RunningConsumer } from '@portico/events';
import { testLogger } from '@portico/testing';
import type { Express } from 'express';
import { InMemoryTokenCache } from '../../src/auth/cache.ts';
import { InMemoryProofReplayStore } from '../../src/auth/dpop-replay.ts';
import type { TokenIntrospector } from '../../src/auth/introspection.ts';
import { InMemoryIntrospector } from '../../src/auth/introspection.ts';
import { configSchema } from '../../src/config.ts';
import type { Gateway } from '../../src/gateway.ts';
import { buildGateway } from '../../src/gateway.ts';
import type { RateLimitStore } from '../../src/ratelimit/limiter.ts';
import { InMemoryRateLimitStore } from '../../src/ratelimit/limiter.ts';

export interface TestGatewayOptions {
  snapshot?: ReadModelSnapshot;
  env?: Record<string, string>;
  introspector?: TokenIntrospector;
  rateLimits?: RateLimitStore;
  revocationsLoaded?: () => boolean;
}

export interface TestGateway extends Pick<Gateway, 'model' | 'denyList' | 'signer'> {
  url: string;
  adminUrl: string;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

/** A stream that has nothing to replay; `caughtUp` answers "revocations loaded". */
function streamTwin(caughtUp: () => boolean): RunningConsumer {
  return {
    caughtUp: Promise.resolve(),
    isCaughtUp: caughtUp,
    lag: () => 0,
    health: (name = 'twin') => ({ name, check: () => undefined }),
    stop: async () => undefined,
  };
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig(configSchema, {
    UPSTREAM_TIMEOUT_MS: '1500',
    // Nothing listens there: a JWKS fetch fails at once.
    KEY_MANAGER_URL: 'http://127.0.0.1:1',
    ANALYTICS_ENABLED: 'false',
    ...options.env,
  });
  const metrics = createMetrics('gateway');
  const gateway = await buildGateway(config, {
    logger: testLogger('gateway'),
    metrics,
    introspector: options.introspector ?? new InMemoryIntrospector(),
    tokenCache: new InMemoryTokenCache(),
    rateLimits: options.rateLimits ?? new InMemoryRateLimitStore(),
    proofReplay: new InMemoryProofReplayStore(),
    feeds: {
      revocations: async () => streamTwin(options.revocationsLoaded ?? (() => true)),
      entities: async (model) => {
        if (options.snapshot) model.loadSnapshot(options.snapshot);
        return streamTwin(() => true);
      },
    },
  });
  await gateway.start();
  const servers: Server[] = [];
  const listenOn = async (app: Express) => {
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const url = await listenOn(gateway.app);
  const adminUrl = await listenOn(gateway.adminApp);
  return {
    url,
    adminUrl,
    model: gateway.model,
    denyList: gateway.denyList,
    signer: gateway.signer,
    metricsText: () => metrics.registry.metrics(),
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(() => r(undefined)));
      }
      await gateway.stop();
    },
  };
}
