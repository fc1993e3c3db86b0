/**
 * Starts a real key-manager in-process (the same wiring as main.ts) against the shared
 * FerretDB and a Kafka broker, isolated by a unique database and topic prefix.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@portico/core';
import { connectMongo, createMetrics, loadConfig } from '@portico/core';
import type { EventPublisher } from '@portico/events';
import { EventBus, ownedTopicSpecs, replicationOf, topicNames } from '@portico/events';
import { testLogger, uniqueName } from '@portico/testing';
import type { Connection } from 'mongoose';
import type { Config } from '../src/config.ts';
import { configSchema } from '../src/config.ts';
import type { KeyManager } from '../src/keyManager.ts';
import { buildKeyManager } from '../src/keyManager.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const GATEWAY_ID = 'portico-gateway';
export const GATEWAY_SECRET = 'gateway-secret-0123456789abcdef';
export const PORTAL_ID = 'portico-portal';
export const PORTAL_SECRET = 'portal-secret-0123456789abcdef';
export const PORTAL_REDIRECT = 'http://127.0.0.1:9999/callback';

export interface Running {
  issuer: string;
  admin: string;
  config: Config;
  km: KeyManager;
  mongo: Connection;
  bus: EventBus;
  topic: string;
  adminFetch(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

function listenLater(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

export async function startKeyManager(
  env: Record<string, string> = {},
  options: {
    brokers?: string[];
    /** false: build only, no start (the outbox tests drive the relay themselves). */
    startRelay?: boolean;
    keepDb?: boolean;
    logger?: Logger;
    issuerPath?: string;
  } = {},
): Promise<Running> {
  const pub = await listenLater();
  const adm = await listenLater();
  const issuer = `http://127.0.0.1:${pub.port}${options.issuerPath ?? ''}`;
  const prefix = `${uniqueName('km')}.`;
  const config = loadConfig(configSchema, {
    ...process.env,
    NODE_ENV: 'test',
    ISSUER: issuer,
    MONGO_DB: uniqueName('km'),
    KAFKA_TOPIC_PREFIX: prefix,
    KEY_MANAGER_ADMIN_TOKEN: ADMIN_TOKEN,
    TOKEN_HASH_KEY: randomBytes(32).toString('hex'),
    PERSISTENCE_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`,
    GATEWAY_CLIENT_ID: GATEWAY_ID,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    PORTAL_CLIENT_ID: PORTAL_ID,
    PORTAL_CLIENT_SECRET: PORTAL_SECRET,
    PORTAL_REDIRECT_URIS: PORTAL_REDIRECT,
    USER_STORE_DOMAINS: 'PARTNERS.EXAMPLE.COM,STAFF.EXAMPLE.COM',
    TOKEN_PARTITIONS: 'A:PARTNERS.EXAMPLE.COM',
    OUTBOX_POLL_MS: '200',
    ...(options.brokers ? { KAFKA_BROKERS: options.brokers.join(',') } : {}),
    ...env,
  });
  const logger = options.logger ?? testLogger('key-manager');
  const metrics = createMetrics('key-manager');
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const bus = new EventBus({
    brokers: config.KAFKA_BROKERS,
    clientId: 'km-test',
    logger,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 3000,
  });
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  let publisher: EventPublisher | undefined;
  const km = await buildKeyManager(config, {
    conn: mongo,
    publisher: {
      publish: async (topic, events) => {
        publisher ??= await bus.publisher();
        await publisher.publish(topic, events);
      },
    },
    ensureTopics: () =>
      bus.ensureTopics(
        ownedTopicSpecs('key-manager', {
          prefix: config.KAFKA_TOPIC_PREFIX,
          revocationRetentionMs: 3600_000,
          partitions: 1,
        }),
        { replication: replicationOf(config), metrics },
      ),
    logger,
    metrics,
  })
    .then(async (built) => {
      if (options.startRelay !== false) await built.start();
      return built;
    })
    .catch(async (err: unknown) => {
      pub.server.close();
      adm.server.close();
      await mongo.db?.dropDatabase().catch(() => undefined);
      await mongo.close();
      throw err;
    });
  pub.server.on('request', km.app);
  adm.server.on('request', km.adminApp);
  const admin = `http://127.0.0.1:${adm.port}`;
  return {
    issuer,
    admin,
    config,
    km,
    mongo,
    bus,
    topic: topics.revocations,
    adminFetch: (path, init = {}) =>
      fetch(`${admin}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      }),
    async close() {
      await km.stop();
      pub.server.closeAllConnections();
      adm.server.closeAllConnections();
      await new Promise((r) => pub.server.close(r));
      await new Promise((r) => adm.server.close(r));
      await publisher?.close();
      if (!options.keepDb) await mongo.db?.dropDatabase().catch(() => undefined);
      await bus
        .admin((a) => a.deleteTopics({ topics: Object.values(topics), timeout: 5000 }))
        .catch(() => undefined);
      await mongo.close();
    },
  };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function createClient(km: Running, body: Record<string, unknown>) {
  const res = await km.adminFetch('/admin/clients', {
    method: 'POST',
    body: { applicationId: 'app_1', keyType: 'PRODUCTION', ...body },
  });
  if (res.status !== 201) throw new Error(`create client: ${res.status} ${await res.text()}`);
  return (await res.json()) as { clientId: string; clientSecret: string; tokenFormat: string };
}

export async function tokenRequest(
  km: Running,
  auth: { id: string; secret: string },
  params: Record<string, string>,
): Promise<Response> {
  return fetch(`${km.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(auth.id, auth.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
}

export async function introspect(km: Running, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${km.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: basic(GATEWAY_ID, GATEWAY_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  if (res.status !== 200) throw new Error(`introspection: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}
