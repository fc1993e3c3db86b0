/**
 * Test harness: the real store app on real MongoDB (FerretDB, a unique database) and real
 * Kafka (unique topic prefix), with the key-manager and identity provider as in-memory twins
 * unless real ones are passed. Listens on an ephemeral port.
 */
import type { Server } from 'node:http';
import { boundPort, closeServer, connectMongo, createMetrics } from '@portico/core';
import type { EventPublisher, PorticoEvent, RunningConsumer, TopicNames } from '@portico/events';
import { anyEvent, EventBus, topicNames, topicSpecs } from '@portico/events';
import { sharedInfra, testLogger, uniqueName } from '@portico/testing';
import type { Connection } from 'mongoose';
import type { Config } from '../src/config.ts';
import { configSchema } from '../src/config.ts';
import type { Role } from '../src/domain/principal.ts';
import { kafkaOffsetReader } from '../src/domain/read-model.ts';
import { MemoryIdentityProvider } from '../src/identity/memory.ts';
import type { IdentityProvider } from '../src/identity/port.ts';
import { MemoryKeyManager } from '../src/keymanager/memory.ts';
import type { KeyManagerClient } from '../src/keymanager/port.ts';
import type { Store } from '../src/store.ts';
import { buildStore } from '../src/store.ts';

export const READ_MODEL_TOKEN = 'test-read-model-token-0123456789';

export interface Harness {
  store: Store;
  url: string;
  conn: Connection;
  bus: EventBus;
  topics: TopicNames;
  km: KeyManagerClient;
  identity: IdentityProvider;
  /** A bearer token for a user with these roles (twin identity provider only). */
  user(subject: string, roles?: Role[]): string;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** Every event the store published so far (a broadcast consumer on the test topics). */
  events(): PorticoEvent[];
  close(): Promise<void>;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on JSON bodies field by field
  body: any;
  headers: Headers;
}

export interface HarnessOptions {
  keyManager?: KeyManagerClient;
  identity?: IdentityProvider;
  env?: Record<string, string>;
  publisher?: EventPublisher;
  brokers?: string[];
  consume?: boolean;
  /** Listen on this port (default: any free one). */
  port?: number;
  /** Topic prefix (default: a unique one). */
  topicPrefix?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const infra = sharedInfra();
  const logger = testLogger('store-test');
  const brokers = options.brokers ?? infra.kafkaBrokers;
  const config = configSchema.parse({
    READ_MODEL_TOKEN,
    OUTBOX_RELAY_INTERVAL_MS: '200',
    KAFKA_TOPIC_PREFIX: options.topicPrefix ?? `${uniqueName('st')}.`,
    ...options.env,
  });
  const conn = await connectMongo({ url: infra.mongoUrl, dbName: uniqueName('store_test'), logger });
  try {
    return await assemble(options, config, conn, brokers, logger);
  } catch (err) {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
    throw err;
  }
}

async function assemble(
  options: HarnessOptions,
  config: Config,
  conn: Connection,
  brokers: string[],
  logger: ReturnType<typeof testLogger>,
): Promise<Harness> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const bus = new EventBus({
    brokers,
    clientId: 'store-test',
    logger,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  });
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));
  const publisher = options.publisher ?? (await bus.publisher());
  const km = options.keyManager ?? new MemoryKeyManager();
  const identity = options.identity ?? new MemoryIdentityProvider();
  const store = buildStore(config, {
    conn,
    publisher,
    offsets: kafkaOffsetReader(bus, 3000),
    keyManager: km,
    identity,
    bus,
    logger,
    metrics: createMetrics('store-test'),
  });
  await store.start();
  const server: Server = store.app.listen(options.port ?? 0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${boundPort(server)}`;

  const seen: PorticoEvent[] = [];
  let consumer: RunningConsumer | undefined;
  if (options.consume !== false) {
    consumer = await bus.consume({
      broadcast: true,
      topics: [topics.apis, topics.applications, topics.subscriptions],
      schema: anyEvent,
      handle: (e) => {
        seen.push(e);
      },
    });
  }

  return {
    store,
    url,
    conn,
    bus,
    topics,
    km,
    identity,
    user(subject, roles = ['developer']) {
      if (!(identity instanceof MemoryIdentityProvider))
        throw new Error('user() needs the twin identity provider');
      return identity.issueToken({ subject, roles });
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
      let body: string | Buffer | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    events: () => seen,
    async close() {
      await consumer?.stop();
      await store.stop();
      await closeServer(server);
      if (!options.publisher) await publisher.close();
      await bus
        .admin((admin) => admin.deleteTopics({ topics: Object.values(topics) }))
        .catch(() => undefined);
      await conn.dropDatabase().catch(() => undefined);
      await conn.close();
    },
  };
}

export const ADMIN = 'PRIMARY/admin';
export const ALICE = 'PRIMARY/alice';
export const BOB = 'PRIMARY/bob';

/** Creates and publishes an API as admin; returns its id. */
export async function publishedApi(
  h: Harness,
  admin: string,
  name = 'Twitter',
  version = '1.0.0',
): Promise<string> {
  const created = await h.call('POST', '/api/v1/apis', {
    token: admin,
    body: {
      name,
      version,
      context: `/${name.toLowerCase()}/${version}`,
      productionUrl: 'https://prod.example.com/twitter',
      sandboxUrl: 'https://sandbox.example.com/twitter',
      scopes: ['read'],
    },
  });
  if (created.status !== 201)
    throw new Error(`create API: ${created.status} ${JSON.stringify(created.body)}`);
  const pub = await h.call('POST', `/api/v1/apis/${created.body.id}/lifecycle`, {
    token: admin,
    body: { state: 'PUBLISHED' },
  });
  if (pub.status !== 200) throw new Error(`publish API: ${pub.status}`);
  return created.body.id as string;
}
