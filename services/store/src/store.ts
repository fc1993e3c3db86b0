/**
 * Wires the store from its ports (MongoDB connection, event publisher, topic offsets,
 * key-manager, identity provider). main.ts passes the real ones; tests pass real MongoDB and
 * Kafka with in-memory twins for the key-manager and the identity provider, or the real ones.
 */
import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { promClient } from '@portico/core';
import type { EventPublisher, TopicNames } from '@portico/events';
import type { Connection, Model } from 'mongoose';
import type { StoreApp } from './app.ts';
import { createStoreApp } from './app.ts';
import type { Config } from './config.ts';
import { ApplicationService } from './domain/applications.ts';
import { CatalogService } from './domain/catalog.ts';
import { readCatalogFile } from './domain/catalog-file.ts';
import { KeyService } from './domain/keys.ts';
import { createModels, ensureIndexes, type StoreModels } from './domain/models.ts';
import type { OffsetReader } from './domain/read-model.ts';
import { buildReadModel } from './domain/read-model.ts';
import type { IdentityProvider } from './identity/port.ts';
import { SessionStore } from './identity/sessions.ts';
import type { KeyManagerClient } from './keymanager/port.ts';
import type { EntityBase } from './outbox/entity-store.ts';
import { OutboxRelay } from './outbox/relay.ts';
import { portalOptions } from './portal-static.ts';

export type StoreSettings = Pick<
  Config,
  | 'PUBLIC_URL'
  | 'BODY_LIMIT_BYTES'
  | 'READ_MODEL_TOKEN'
  | 'SESSION_TTL_SECONDS'
  | 'COOKIE_SECURE'
  | 'CATALOG_FILE'
  | 'OUTBOX_RELAY_INTERVAL_MS'
  | 'TOKEN_VALIDITY_DEFAULT_SECONDS'
  | 'TOKEN_VALIDITY_MIN_SECONDS'
  | 'TOKEN_VALIDITY_MAX_SECONDS'
  | 'TOKEN_VALIDITY_ALLOW_NEVER_EXPIRES'
  | 'KEY_PENDING_TIMEOUT_SECONDS'
  | 'KEY_MANAGER_URL'
  | 'PORTAL_CLIENT_ID'
  | 'PORTAL_DIST_DIR'
  | 'PORTAL_GATEWAY_URL'
  | 'PORTAL_CLIENT_DOMAIN_HEADER'
>;

export interface StoreDeps {
  conn: Connection;
  publisher: EventPublisher;
  offsets: OffsetReader;
  topics: TopicNames;
  keyManager: KeyManagerClient;
  identity: IdentityProvider;
  settings: StoreSettings;
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
}

export interface Store extends StoreApp {
  models: StoreModels;
  relay: OutboxRelay;
  catalog: CatalogService;
  applications: ApplicationService;
  keys: KeyService;
  sessions: SessionStore;
  /** Indexes, built-in tiers, CATALOG_FILE, then the relay. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildStore(deps: StoreDeps): Store {
  const { settings, logger } = deps;
  const models = createModels(deps.conn);
  let relay: OutboxRelay | undefined;
  const changed = () => relay?.kick();
  const catalog = new CatalogService(models, changed);
  const applications = new ApplicationService({
    models,
    catalog,
    keyManager: deps.keyManager,
    changed,
    logger,
  });
  const keys = new KeyService({
    models,
    applications,
    keyManager: deps.keyManager,
    validity: {
      defaultSeconds: settings.TOKEN_VALIDITY_DEFAULT_SECONDS,
      minSeconds: settings.TOKEN_VALIDITY_MIN_SECONDS,
      maxSeconds: settings.TOKEN_VALIDITY_MAX_SECONDS,
      allowNeverExpires: settings.TOKEN_VALIDITY_ALLOW_NEVER_EXPIRES,
    },
    pendingTimeoutSeconds: settings.KEY_PENDING_TIMEOUT_SECONDS,
    logger,
  });
  const sessions = new SessionStore(models, settings.SESSION_TTL_SECONDS);

  let lastHousekeeping = 0;
  relay = new OutboxRelay({
    models: [models.apis, models.tiers, models.applications, models.subscriptions] as unknown as Array<
      Model<EntityBase>
    >,
    publisher: deps.publisher,
    topics: deps.topics,
    logger,
    intervalMs: settings.OUTBOX_RELAY_INTERVAL_MS,
    // Slower housekeeping rides on the relay's timer: finish interrupted deletions, sweep sessions.
    onTick: async () => {
      if (Date.now() - lastHousekeeping < 10_000) return;
      lastHousekeeping = Date.now();
      await applications
        .reconcile()
        .catch((err) => logger.debug({ err: (err as Error).message }, 'reconcile deferred'));
      await sessions.sweep().catch(() => undefined);
    },
  });

  const reloadCatalog = settings.CATALOG_FILE
    ? async () => catalog.applyCatalog(await readCatalogFile(settings.CATALOG_FILE))
    : undefined;

  const cookieSecure =
    settings.COOKIE_SECURE === 'auto'
      ? settings.PUBLIC_URL.startsWith('https:')
      : settings.COOKIE_SECURE === 'true';

  const storeApp = createStoreApp({
    logger,
    metrics: deps.metrics,
    readiness: deps.readiness,
    isDraining: deps.isDraining,
    catalog,
    applications,
    keys,
    identity: deps.identity,
    sessions,
    readModel: () => buildReadModel(models, deps.offsets, deps.topics),
    reloadCatalog,
    portal: portalOptions(settings),
    settings: {
      publicUrl: settings.PUBLIC_URL,
      bodyLimitBytes: settings.BODY_LIMIT_BYTES,
      readModelToken: settings.READ_MODEL_TOKEN,
      sessionTtlSeconds: settings.SESSION_TTL_SECONDS,
      cookieSecure,
    },
  });

  registerOutboxMetrics(deps.metrics, relay);
  const theRelay = relay;

  return {
    ...storeApp,
    models,
    relay: theRelay,
    catalog,
    applications,
    keys,
    sessions,
    async start() {
      await ensureIndexes(models);
      await catalog.ensureBuiltInTiers();
      if (reloadCatalog) {
        const result = await reloadCatalog();
        logger.info({ file: settings.CATALOG_FILE, result }, 'catalog file applied');
      }
      theRelay.start();
    },
    async stop() {
      await theRelay.stop();
    },
  };
}

function registerOutboxMetrics(metrics: Metrics, relay: OutboxRelay): void {
  if (metrics.registry.getSingleMetric('store_outbox_pending_events')) return;
  let last = { pending: 0, oldestAgeSeconds: 0 };
  const refresh = async () => {
    last = await relay.stats().catch(() => last);
  };
  new promClient.Gauge({
    name: 'store_outbox_pending_events',
    help: 'Entity events written but not yet published to Kafka',
    registers: [metrics.registry],
    async collect() {
      await refresh();
      this.set(last.pending);
    },
  });
  new promClient.Gauge({
    name: 'store_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished entity event',
    registers: [metrics.registry],
    collect() {
      this.set(last.oldestAgeSeconds);
    },
  });
}
