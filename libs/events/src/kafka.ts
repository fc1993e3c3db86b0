/**
 * Our port over kafkajs: a producer that publishes validated envelopes, and consumers that
 * validate, dispatch and report health. kafkajs stays behind this file.
 *
 * Rules:
 * - Errors say whether they are retriable (`EventBusError.retriable`); retry policy is data.
 * - A message that fails schema validation is logged and skipped (a poison message must not
 *   stop the stream); a handler error is retried, and a consumer that gives up ("crashed")
 *   reports unhealthy through `health()` so /readyz turns 503.
 * - Broadcast consumers (every replica sees every event) use a group id unique to the process
 *   and never commit offsets; they start from the beginning and resolve `caughtUp` once they
 *   have processed everything that existed on the topics when they started.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { ConfigError } from '@portico/core';
import type { Admin, Consumer, KafkaMessage, LogEntry, Producer, RetryOptions } from 'kafkajs';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { ZodType } from 'zod';
import type { PorticoEvent } from './schemas.ts';
import { eventKey } from './schemas.ts';
import type { Replication, TopicProblem } from './topic-admin.ts';
import { createOrCheckTopics } from './topic-admin.ts';
import type { TopicSpec } from './topics.ts';

export class EventBusError extends Error {
  readonly retriable: boolean;
  constructor(message: string, retriable: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = 'EventBusError';
    this.retriable = retriable;
  }
}

/** Thrown by a handler to say "retrying will not help": the consumer stops and reports unhealthy. */
export class FatalEventError extends EventBusError {
  constructor(message: string, cause?: unknown) {
    super(message, false, cause);
    this.name = 'FatalEventError';
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof EventBusError) return err.retriable;
  const r = (err as { retriable?: unknown } | null)?.retriable;
  return typeof r === 'boolean' ? r : true;
}

export interface EventBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  retry?: RetryOptions;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export const DEFAULT_RETRY: RetryOptions = { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 };

export interface EventPublisher {
  publish(topic: string, events: PorticoEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface EventMeta {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: number;
}

export interface ConsumerOptions<E> {
  groupId?: string;
  /** Every replica gets every message (unique group id, no committed offsets, from the start). */
  broadcast?: boolean;
  topics: string[];
  schema: ZodType<E>;
  handle(event: E, meta: EventMeta): Promise<void> | void;
  fromBeginning?: boolean;
}

export interface RunningConsumer {
  /** Resolves once every message present at start-up has been handled. */
  caughtUp: Promise<void>;
  isCaughtUp(): boolean;
  /** Messages known to exist but not yet handled, summed over partitions. */
  lag(): number;
  health(name?: string): HealthCheck;
  stop(): Promise<void>;
}

export class EventBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly clientId: string;

  constructor(options: EventBusOptions) {
    this.logger = options.logger;
    this.clientId = options.clientId;
    const logger = options.logger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      retry: options.retry ?? DEFAULT_RETRY,
      logLevel: KafkaLogLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...extra } = log;
          const fields = { kafka: extra };
          if (level <= KafkaLogLevel.ERROR) logger.warn(fields, `kafka: ${message}`);
          else if (level === KafkaLogLevel.WARN) logger.info(fields, `kafka: ${message}`);
          else logger.debug(fields, `kafka: ${message}`);
        },
    });
  }

  /**
   * Creates the topics that do not exist yet, with the replication asked for (default min(3,
   * brokers)); existing topics are left as they are, and reported when weaker than asked.
   * A replication the cluster cannot hold is a ConfigError; Kafka unreachable an EventBusError.
   */
  async ensureTopics(
    specs: TopicSpec[],
    options: { replication?: Replication; metrics?: Metrics | undefined } = {},
  ): Promise<TopicProblem[]> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return await createOrCheckTopics(admin, specs, { ...options, logger: this.logger });
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new EventBusError(`cannot create topics: ${(err as Error).message}`, isRetriable(err), err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async admin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async publisher(): Promise<EventPublisher> {
    // Not kafkajs' idempotent producer: after a broker restart it can stay stuck on
    // OUT_OF_ORDER_SEQUENCE_NUMBER (kafkajs#598). Delivery is at-least-once by design (outboxes
    // re-send, consumers are idempotent), and one request in flight keeps per-key order.
    const create = (): Producer =>
      this.kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    let producer = create();
    let connected = false;
    const watch = (p: Producer) =>
      p.on(p.events.DISCONNECT, () => {
        if (p === producer) connected = false;
      });
    watch(producer);
    return {
      publish: async (topic, events) => {
        if (events.length === 0) return;
        try {
          if (!connected) {
            await producer.connect();
            connected = true;
          }
          await producer.send({
            topic,
            acks: -1,
            messages: events.map((e) => ({
              key: eventKey(e),
              value: JSON.stringify(e),
              headers: { 'event-type': e.type, 'event-id': e.id },
            })),
          });
        } catch (err) {
          if (!isRetriable(err)) {
            // A producer in a state it cannot leave: start the next attempt with a fresh one.
            const broken = producer;
            producer = create();
            watch(producer);
            connected = false;
            await broken.disconnect().catch(() => undefined);
          }
          throw new EventBusError(
            `publish to ${topic} failed: ${(err as Error).message}`,
            isRetriable(err),
            err,
          );
        }
      },
      close: async () => {
        await producer.disconnect().catch(() => undefined);
      },
    };
  }

  async consume<E>(options: ConsumerOptions<E>): Promise<RunningConsumer> {
    const broadcast = options.broadcast ?? false;
    const groupId = options.groupId ?? `${this.clientId}-${hostname()}-${randomUUID().slice(0, 8)}`;
    const consumer: Consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: {
        ...DEFAULT_RETRY,
        restartOnFailure: async (err) => isRetriable(err),
      },
    });
    let crashed: Error | undefined;
    let stopped = false;
    consumer.on(consumer.events.CRASH, (e) => {
      const { error, restart } = e.payload as { error: Error; restart: boolean };
      this.logger.error({ err: error, restart, groupId }, 'event consumer crashed');
      if (!restart) crashed = error;
    });

    // What existed at start: the high watermark of every partition.
    const targets = new Map<string, bigint>();
    const positions = new Map<string, bigint>();
    const latest = new Map<string, bigint>();
    await this.admin(async (admin) => {
      for (const topic of options.topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const key = `${topic}:${p.partition}`;
          const high = BigInt(p.high);
          const low = BigInt(p.low);
          latest.set(key, high);
          if (high > low) targets.set(key, high);
        }
      }
    });
    let resolveCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => {
      resolveCaughtUp = resolve;
    });
    let isCaughtUp = false;
    const checkCaughtUp = () => {
      if (isCaughtUp) return;
      for (const [key, target] of targets) {
        if ((positions.get(key) ?? -1n) + 1n < target) return;
      }
      isCaughtUp = true;
      resolveCaughtUp();
    };
    checkCaughtUp();

    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? broadcast });
    await consumer.run({
      autoCommit: !broadcast,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const key = `${batch.topic}:${batch.partition}`;
        latest.set(key, BigInt(batch.highWatermark));
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          await this.dispatch(options, batch.topic, batch.partition, message);
          resolveOffset(message.offset);
          positions.set(key, BigInt(message.offset));
          checkCaughtUp();
          await heartbeat();
        }
      },
    });

    return {
      caughtUp,
      isCaughtUp: () => isCaughtUp,
      lag: () => {
        let lag = 0n;
        for (const [key, high] of latest) {
          const pos = positions.get(key);
          const next = pos === undefined ? 0n : pos + 1n;
          if (high > next) lag += high - next;
        }
        return Number(lag);
      },
      health: (name = `consumer:${options.topics.join(',')}`) => ({
        name,
        check: () => {
          if (crashed) throw new Error(`consumer crashed: ${crashed.message}`);
          if (stopped) throw new Error('consumer stopped');
        },
      }),
      stop: async () => {
        stopped = true;
        await consumer.disconnect().catch(() => undefined);
      },
    };
  }

  private async dispatch<E>(
    options: ConsumerOptions<E>,
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.value?.toString('utf8') ?? 'null');
    } catch {
      parsed = undefined;
    }
    const result = options.schema.safeParse(parsed);
    if (!result.success) {
      this.logger.warn(
        { topic, partition, offset: message.offset, issues: result.error.issues.slice(0, 3) },
        'skipping invalid event',
      );
      return;
    }
    await options.handle(result.data, {
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString('utf8') ?? null,
      timestamp: Number(message.timestamp),
    });
  }
}
