/**
 * Builds the store from its configuration and its ports (MongoDB connection, event publisher,
 * topic offsets, key-manager, identity provider): the public app (REST API and portal), the
 * admin app (/metrics) and start/stop. main.ts passes the real ports; the tests pass real
 * MongoDB and Kafka with in-memory twins of the key-manager and identity provider, or the real
 * ones. Nothing here listens.
 */
import type { Logger, Metrics } from '@portico/core';
import { createHttpApp, mongoHealth } from '@portico/core';
import type { EventBus, EventPublisher } from '@portico/events';
import { OutboxRelay, topicNames, usageTopicName } from '@portico/events';
import type { Express } from 'express';
import express from 'express';
import type { Connection, Model } from 'mongoose';
import type { BackgroundConsumer } from './background-consumer.ts';
import { readCatalogFile } from './catalog-file.ts';
import type { Config } from './config.ts';
import { tokenValidityBounds } from './config.ts';
import { ApplicationService } from './domain/applications.ts';
import { CatalogService } from './domain/catalog.ts';
import { KeyService } from './domain/keys.ts';
import { createModels, ensureIndexes, type StoreModels } from './domain/models.ts';
import type { OffsetReader } from './domain/read-model.ts';
import { buildReadModel } from './domain/read-model.ts';
import { guards } from './http/auth.ts';
import { bodyParsers, noStoreOnApi } from './http/body.ts';
import { buildOpenApi } from './http/openapi.ts';
import { register } from './http/route.ts';
import { adminRoutes } from './http/routes/admin.ts';
import { apiRoutes } from './http/routes/apis.ts';
import { applicationRoutes } from './http/routes/applications.ts';
import { identityRoutes } from './http/routes/identity.ts';
import { internalRoutes } from './http/routes/internal.ts';
import { keyRoutes } from './http/routes/keys.ts';
import { metaRoutes } from './http/routes/meta.ts';
import { subscriptionRoutes } from './http/routes/subscriptions.ts';
import { tierRoutes } from './http/routes/tiers.ts';
import { usageRoutes } from './http/routes/usage.ts';
import type { IdentityProvider } from './identity/port.ts';
import { SessionStore } from './identity/sessions.ts';
import { followUserRevocations } from './identity/user-revocations.ts';
import type { KeyManagerClient } from './keymanager/port.ts';
import type { EntityBase } from './outbox/entity-store.ts';
import { entityOutboxSource } from './outbox/relay.ts';
import { portalOptions, portalStatic } from './portal-static.ts';
import type { UsageFollower } from './usage/follow.ts';
import { followUsage } from './usage/follow.ts';
import { UsageLedger } from './usage/ledger.ts';

export interface StorePorts {
  conn: Connection;
  publisher: EventPublisher;
  offsets: OffsetReader;
  keyManager: KeyManagerClient;
  identity: IdentityProvider;
  /**
   * Follows the gateways' usage topic and the key-manager's revocations (to end the sessions of
   * disabled or deleted users); without it neither is followed.
   */
  bus?: Pick<EventBus, 'consume'>;
  logger: Logger;
  metrics: Metrics;
  /** True once shutdown has begun (/readyz answers 503). */
  isDraining?: () => boolean;
}

export interface Store {
  /** REST API, sign-in and the developer portal (PORT). */
  app: Express;
  /** /metrics and health, never routed by the portal Ingress (ADMIN_PORT). */
  adminApp: Express;
  openApi: Record<string, unknown>;
  /** Indexes, built-in tiers, CATALOG_FILE, then the outbox relay. */
  start(): Promise<void>;
  stop(): Promise<void>;
  // Reached by tests to look at stored state and drive background work.
  models: StoreModels;
  relay: OutboxRelay;
  applications: ApplicationService;
  usage: UsageLedger;
}

export function buildStore(config: Config, ports: StorePorts): Store {
  const { logger, metrics } = ports;
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const models = createModels(ports.conn);
  let relay: OutboxRelay | undefined;
  const changed = () => relay?.kick();
  const catalog = new CatalogService(models, changed);
  const applications = new ApplicationService({
    models,
    catalog,
    keyManager: ports.keyManager,
    changed,
    logger,
  });
  const keys = new KeyService({
    models,
    applications,
    keyManager: ports.keyManager,
    validity: tokenValidityBounds(config),
    pendingTimeoutSeconds: config.KEY_PENDING_TIMEOUT_SECONDS,
    logger,
  });
  const sessions = new SessionStore(models, config.SESSION_TTL_SECONDS);
  const db = ports.conn.db;
  if (!db) throw new Error('the MongoDB connection has no database');
  const usage = new UsageLedger(db, {
    minuteHours: config.USAGE_MINUTE_RETENTION_HOURS,
    hourDays: config.USAGE_HOUR_RETENTION_DAYS,
    dayDays: config.USAGE_DAY_RETENTION_DAYS,
  });
  let usageFollower: UsageFollower | undefined;
  let userRevocations: BackgroundConsumer | undefined;

  let lastHousekeeping = 0;
  const theRelay = new OutboxRelay({
    source: entityOutboxSource({
      models: [models.apis, models.tiers, models.applications, models.subscriptions] as unknown as Array<
        Model<EntityBase>
      >,
      publisher: ports.publisher,
      topics,
      // Slower housekeeping rides on the relay's schedule: finish interrupted deletions, sweep sessions.
      afterPass: async () => {
        if (Date.now() - lastHousekeeping < 10_000) return;
        lastHousekeeping = Date.now();
        await applications
          .reconcile()
          .catch((err) => logger.debug({ err: (err as Error).message }, 'reconcile deferred'));
        await sessions.sweep().catch(() => undefined);
      },
    }),
    logger,
    pollMs: config.OUTBOX_RELAY_INTERVAL_MS,
    gauges: {
      metrics,
      pending: {
        name: 'store_outbox_pending_events',
        help: 'Entity events written but not yet published to Kafka',
      },
      oldestAge: {
        name: 'store_outbox_oldest_age_seconds',
        help: 'Age of the oldest unpublished entity event',
      },
    },
  });
  relay = theRelay;

  const reloadCatalog = config.CATALOG_FILE
    ? async () => catalog.applyCatalog(await readCatalogFile(config.CATALOG_FILE))
    : undefined;
  const cookieSecure =
    config.COOKIE_SECURE === 'auto'
      ? config.PUBLIC_URL.startsWith('https:')
      : config.COOKIE_SECURE === 'true';
  const cookieName = cookieSecure ? '__Host-portico_session' : 'portico_session';

  let openApi: Record<string, unknown> = {};
  const routes = [
    ...metaRoutes(() => openApi),
    ...identityRoutes({
      identity: ports.identity,
      sessions,
      publicUrl: config.PUBLIC_URL,
      cookie: { name: cookieName, secure: cookieSecure, ttlSeconds: config.SESSION_TTL_SECONDS },
    }),
    ...apiRoutes(catalog),
    ...tierRoutes(catalog),
    ...adminRoutes({ catalog, reloadCatalog }),
    ...applicationRoutes(applications),
    ...keyRoutes(keys),
    ...subscriptionRoutes(applications),
    ...usageRoutes({ ledger: usage, applications, catalog }),
    ...internalRoutes(() => buildReadModel(models, ports.offsets, topics)),
  ];
  openApi = buildOpenApi(routes, { version: '1.0.0', serverUrl: config.PUBLIC_URL });

  // Kafka is not a readiness dependency: changes wait in the entity outbox (ADR 0020).
  const readiness = [mongoHealth(ports.conn)];
  const http = { logger, metrics, readiness, isDraining: ports.isDraining };
  const app = createHttpApp({ ...http, exposeMetrics: false }, (root) => {
    const router = express.Router({ strict: false, caseSensitive: true });
    register(router, routes, {
      guard: guards({
        identity: ports.identity,
        sessions,
        cookieName,
        readModelToken: config.READ_MODEL_TOKEN,
      }),
      bodyParsers: bodyParsers(config.BODY_LIMIT_BYTES),
    });
    root.use(noStoreOnApi());
    root.use(router);
    root.use(portalStatic(portalOptions(config)));
  });
  const adminApp = createHttpApp(http, () => {});

  return {
    app,
    adminApp,
    openApi,
    models,
    relay: theRelay,
    applications,
    usage,
    async start() {
      await ensureIndexes(models);
      await usage.ensureIndexes();
      await catalog.ensureBuiltInTiers();
      if (reloadCatalog) {
        const result = await reloadCatalog();
        logger.info({ file: config.CATALOG_FILE, result }, 'catalog file applied');
      }
      theRelay.start();
      // A user the key-manager disabled or deleted loses their portal sessions at once.
      if (ports.bus) {
        userRevocations = followUserRevocations({
          bus: ports.bus,
          topic: topics.revocations,
          sessions,
          logger,
        });
      }
      if (config.USAGE_ENABLED && ports.bus) {
        usageFollower = followUsage({
          bus: ports.bus,
          topic: usageTopicName(config.KAFKA_TOPIC_PREFIX),
          groupId: `${config.KAFKA_TOPIC_PREFIX}portico-store-usage`,
          ledger: usage,
          rollupIntervalMs: config.USAGE_ROLLUP_INTERVAL_MS,
          logger,
          metrics,
        });
      }
    },
    async stop() {
      await usageFollower?.stop();
      await userRevocations?.stop();
      await theRelay.stop();
    },
  };
}
