/**
 * Builds the key-manager from its configuration and its ports (MongoDB connection, event
 * publisher, topic creation): the public app (OAuth/OIDC, login pages), the admin app (admin
 * API, /metrics) and start/stop. main.ts passes the real ports, the tests the same real
 * MongoDB and Kafka. Nothing here listens.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '@portico/core';
import { ConfigError, mongoHealth } from '@portico/core';
import type { EventPublisher } from '@portico/events';
import { OutboxRelay, topicNames } from '@portico/events';
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import { adminRouter } from './admin/router.ts';
import { createAdminApp, createApp } from './app.ts';
import type { Config } from './config.ts';
import { createHasher } from './crypto/hashing.ts';
import { parseKeyring, parsePartitionKeyrings } from './crypto/keyring.ts';
import { PasswordFailures } from './limits/passwordFailures.ts';
import { AuthFailureCounter, installTokenAuthFailureLimit } from './limits/tokenAuthFailures.ts';
import { installHooks, jwtVerifier } from './oidc/hooks.ts';
import { interactionsRouter } from './oidc/interactions.ts';
import { registerPasswordGrant } from './oidc/passwordGrant.ts';
import { createProvider, currentClientId } from './oidc/provider.ts';
import { loadSigningKeys } from './oidc/signingKeys.ts';
import { parseDomainValidity } from './oidc/validity.ts';
import type { Outbox } from './outbox/outbox.ts';
import { createOutbox } from './outbox/outbox.ts';
import { REVOCATION_OUTBOX_GAUGES, revocationOutboxSource } from './outbox/relay.ts';
import { createClientStore, staticClient } from './store/clients.ts';
import { createAdapterFactory, ensureAdapterIndexes } from './store/oidcAdapter.ts';
import { TokenCache } from './store/tokenCache.ts';
import { bootstrapUsers } from './users/bootstrap.ts';
import { normalizeDomain, Partitions, PRIMARY } from './users/domains.ts';
import type { UserStore } from './users/userStore.ts';
import { createUserStore } from './users/userStore.ts';

/** A fixed development key; assertProductionSecrets refuses to start without a real one in production. */
const DEV_HASH_KEY = 'portico-dev-token-hash-key-do-not-use-in-production';

export interface KeyManagerPorts {
  conn: Connection;
  publisher: Pick<EventPublisher, 'publish'>;
  /**
   * Creates (or checks) the topics the key-manager owns; tried at start, then retried by the
   * relay until it works. A ConfigError (a replication the cluster cannot hold) stops the start.
   */
  ensureTopics?: () => Promise<unknown>;
  logger: Logger;
  metrics: Metrics;
  /** True once shutdown has begun (/readyz answers 503). */
  isDraining?: () => boolean;
}

export interface KeyManager {
  /** OAuth/OIDC endpoints and login pages (PORT). */
  app: Express;
  /** Admin API (the store's service credential) and /metrics (ADMIN_PORT). */
  adminApp: Express;
  /** BOOTSTRAP_USERS, the owned topics (when Kafka answers), then the outbox relay. */
  start(): Promise<void>;
  stop(): Promise<void>;
  // Reached by tests to look at stored state and drive background work.
  provider: Provider;
  users: UserStore;
  outbox: Outbox;
  relay: OutboxRelay;
}

function configuredDomains(config: Config): Set<string> {
  const domains = new Set([PRIMARY]);
  for (const raw of config.USER_STORE_DOMAINS) {
    const d = normalizeDomain(raw);
    if (!d) throw new Error(`USER_STORE_DOMAINS: invalid domain ${JSON.stringify(raw)}`);
    domains.add(d);
  }
  return domains;
}

export async function buildKeyManager(config: Config, ports: KeyManagerPorts): Promise<KeyManager> {
  const { logger, metrics } = ports;
  const db = ports.conn.db;
  if (!db) throw new Error('mongo connection has no database');
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const hashKey = config.TOKEN_HASH_KEY ?? DEV_HASH_KEY;
  const hasher = createHasher(hashKey);
  const keyring = parseKeyring(config.PERSISTENCE_ENCRYPTION_KEYS);
  const domains = configuredDomains(config);
  const partitions = new Partitions(config.TOKEN_PARTITIONS, domains);
  const validity = {
    application: config.APPLICATION_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD,
    user: config.USER_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD,
    refresh: config.REFRESH_TOKEN_VALIDITY_PERIOD,
    perDomain: parseDomainValidity(config.USER_STORE_TOKEN_VALIDITY),
  };

  const statics = [];
  if (config.GATEWAY_CLIENT_SECRET) {
    statics.push(
      staticClient(hashKey, {
        _id: config.GATEWAY_CLIENT_ID,
        secret: config.GATEWAY_CLIENT_SECRET,
        grantTypes: [],
        redirectUris: [],
        name: 'Portico gateway',
      }),
    );
  }
  // Operator-controlled, so plain http is allowed here (dev clusters); fragments never are.
  for (const uri of [...config.PORTAL_REDIRECT_URIS, ...config.PORTAL_POST_LOGOUT_REDIRECT_URIS]) {
    const url = URL.parse(uri);
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash) {
      throw new Error(
        `PORTAL_REDIRECT_URIS: ${JSON.stringify(uri)} must be an absolute http(s) URL without fragment`,
      );
    }
  }
  if (config.PORTAL_CLIENT_SECRET && config.PORTAL_REDIRECT_URIS.length > 0) {
    statics.push(
      staticClient(hashKey, {
        _id: config.PORTAL_CLIENT_ID,
        secret: config.PORTAL_CLIENT_SECRET,
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: config.PORTAL_REDIRECT_URIS,
        postLogoutRedirectUris: config.PORTAL_POST_LOGOUT_REDIRECT_URIS,
        name: 'Portico developer portal',
        firstParty: true,
      }),
    );
  }

  const clients = createClientStore(db, hashKey, statics, { ttlMs: config.CLIENT_CACHE_TTL_MS });
  const users = await createUserStore(db);
  const outbox = await createOutbox(db);
  await ensureAdapterIndexes(db, partitions);
  await db.collection('clients').createIndex({ applicationId: 1 });

  const jwks = await loadSigningKeys({
    configured: config.SIGNING_KEYS,
    db,
    keyring,
    issuer: config.ISSUER,
    logger,
  });

  const adapter = createAdapterFactory({
    db,
    hasher,
    keyring,
    partitionKeyrings: parsePartitionKeyrings(config.PARTITION_ENCRYPTION_KEYS, partitions.names),
    encrypt: config.ENCRYPT_PERSISTED_TOKENS,
    partitions,
    outbox,
    tokenCache: new TokenCache(config.TOKEN_RECORD_CACHE_TTL_MS),
    findClient: (id) => clients.findMetadata(id),
    currentClientId,
    grantExpiresAt: () => null,
  });

  let cookieKeys = config.COOKIE_KEYS;
  if (cookieKeys.length === 0) {
    logger.warn(
      'COOKIE_KEYS not set: using a random key (sessions do not survive a restart or span replicas)',
    );
    cookieKeys = [randomBytes(32).toString('base64url')];
  }

  const provider = createProvider({
    issuer: config.ISSUER,
    jwks,
    cookieKeys,
    users,
    partitions,
    validity,
    authorizationCodeTtl: config.AUTHORIZATION_CODE_VALIDITY_PERIOD,
    audience: config.ACCESS_TOKEN_AUDIENCE,
    gatewayClientId: config.GATEWAY_CLIENT_ID,
    secretHashKey: hashKey,
    adapter,
  });
  // One count per account for every way a password is checked (login form, password grant).
  const passwordFailures = new PasswordFailures(db, {
    freeFailures: config.PASSWORD_FAILURES_FREE,
    baseDelayMs: config.PASSWORD_FAILURE_BASE_DELAY_MS,
    maxDelayMs: config.PASSWORD_FAILURE_MAX_DELAY_MS,
    memoryS: config.PASSWORD_FAILURE_MEMORY_S,
  });
  registerPasswordGrant(provider, {
    users,
    domains,
    audience: config.ACCESS_TOKEN_AUDIENCE,
    passwordFailures,
  });
  installTokenAuthFailureLimit(
    provider,
    new AuthFailureCounter(db, {
      perClientIp: config.TOKEN_AUTH_FAILURES_PER_CLIENT_IP,
      windowS: config.TOKEN_AUTH_FAILURE_WINDOW_S,
    }),
  );
  installHooks({ provider, outbox, jwks, gatewayClientId: config.GATEWAY_CLIENT_ID, logger, metrics });

  let topicsReady = ports.ensureTopics === undefined;
  const publisher: Pick<EventPublisher, 'publish'> = {
    publish: async (topic, events) => {
      if (!topicsReady && ports.ensureTopics) {
        await ports.ensureTopics();
        topicsReady = true;
      }
      try {
        await ports.publisher.publish(topic, events);
      } catch (err) {
        topicsReady = ports.ensureTopics === undefined; // the topic may have gone: check again
        throw err;
      }
    },
  };
  const relay = new OutboxRelay({
    source: revocationOutboxSource({
      outbox,
      publisher,
      topic: topics.revocations,
      clientsTopic: topics.clients,
      metrics,
      batchSize: config.OUTBOX_BATCH_SIZE,
      expandAll: async () => ({ clientIds: await clients.allIds(), domains: [...domains] }),
    }),
    logger,
    pollMs: config.OUTBOX_POLL_MS,
    gauges: { metrics, ...REVOCATION_OUTBOX_GAUGES },
  });
  outbox.onWrite(() => relay.kick());

  const services = {
    logger,
    metrics,
    // Kafka is not a readiness dependency: revocations queue in the outbox while it is down.
    readiness: [mongoHealth(ports.conn)],
    isDraining: ports.isDraining,
    provider,
    issuer: config.ISSUER,
    interactions: interactionsRouter({
      provider,
      users,
      domains,
      logger,
      loginsPerIp: config.LOGIN_RATE_LIMIT_PER_IP,
      passwordFailures,
      basePath: new URL(config.ISSUER).pathname.replace(/\/$/, ''),
    }),
    admin: adminRouter({
      adminToken: config.KEY_MANAGER_ADMIN_TOKEN,
      clients,
      users,
      outbox,
      provider,
      domains,
      audience: config.ACCESS_TOKEN_AUDIENCE,
      verifyJwt: jwtVerifier(config.ISSUER, jwks),
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      logger,
    }),
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimits: { perIp: config.TOKEN_RATE_LIMIT_PER_IP, perClient: config.TOKEN_RATE_LIMIT_PER_CLIENT },
  };

  return {
    app: createApp(services),
    adminApp: createAdminApp(services),
    provider,
    users,
    outbox,
    relay,
    async start() {
      await bootstrapUsers(config.BOOTSTRAP_USERS, users, domains, logger);
      if (ports.ensureTopics) {
        // Kafka may be down at start-up: revocations are still accepted (outbox) and the relay
        // creates the topics when it first reaches Kafka. A wrong setting is not retried.
        await ports.ensureTopics().then(
          () => {
            topicsReady = true;
          },
          (err: unknown) => {
            if (err instanceof ConfigError) throw err;
            logger.warn({ err: (err as Error).message }, 'cannot ensure topics yet');
          },
        );
      }
      relay.start();
    },
    async stop() {
      await relay.stop();
    },
  };
}
