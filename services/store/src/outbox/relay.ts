/**
 * Publishes pending outbox entries to Kafka, at least once, in order per entity:
 *   1. find documents whose `outbox` is not empty;
 *   2. publish the document's entries in order (one batch, keyed per entity by eventKey);
 *   3. pop each published entry, only while it is still the head of the array (so an entry
 *      appended meanwhile is never lost, and a second relay racing us cannot pop twice).
 * A crash between 2 and 3 republishes: consumers are idempotent (event id, entity revision).
 * Kafka down: the pass stops at the first failure and the next tick retries with back-off;
 * the API keeps answering from MongoDB.
 */
import type { Logger } from '@portico/core';
import type { EventPublisher, PorticoEvent, TopicNames } from '@portico/events';
import type { Model } from 'mongoose';
import type { EntityBase } from './entity-store.ts';

export interface OutboxStats {
  pending: number;
  oldestAgeSeconds: number;
}

export interface RelayOptions {
  models: Array<Model<EntityBase>>;
  publisher: EventPublisher;
  topics: TopicNames;
  logger: Logger;
  intervalMs: number;
  batchSize?: number;
  /** Extra work to run on each tick (e.g. finishing interrupted deletions). */
  onTick?: () => Promise<void>;
}

export class OutboxRelay {
  private readonly options: RelayOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;
  private lastError: string | undefined;

  constructor(options: RelayOptions) {
    this.options = options;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Ask for a pass soon (after a write), without waiting for it. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.failures === 0) this.schedule(0);
  }

  /** One pass over every collection; resolves when done. Exposed for tests. */
  async runOnce(): Promise<number> {
    let published = 0;
    for (const model of this.options.models) {
      published += await this.drain(model);
    }
    return published;
  }

  lastFailure(): string | undefined {
    return this.lastError;
  }

  async stats(): Promise<OutboxStats> {
    let pending = 0;
    let oldest = Date.now();
    for (const model of this.options.models) {
      const docs = await model.collection
        .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1, updatedAt: 1 } })
        .toArray();
      for (const d of docs) {
        pending += (d['outbox'] as unknown[]).length;
        const at = (d['updatedAt'] as Date | undefined)?.getTime() ?? Date.now();
        if (at < oldest) oldest = at;
      }
    }
    return { pending, oldestAgeSeconds: pending === 0 ? 0 : (Date.now() - oldest) / 1000 };
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.running = (async () => {
      try {
        await this.runOnce();
        await this.options.onTick?.();
        if (this.failures > 0) this.options.logger.info('outbox relay recovered');
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        this.failures += 1;
        this.lastError = (err as Error).message;
        // One warning per outage streak is enough; the metric shows the backlog.
        const log = this.failures === 1 ? 'warn' : 'debug';
        this.options.logger[log](
          { err: this.lastError, failures: this.failures },
          'outbox relay pass failed',
        );
      }
    })().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      const backoff = Math.min(this.options.intervalMs * 2 ** this.failures, 30_000);
      if (this.again && this.failures === 0) {
        this.again = false;
        this.schedule(0);
      } else {
        this.schedule(this.failures > 0 ? backoff : this.options.intervalMs);
      }
    });
  }

  private async drain(model: Model<EntityBase>): Promise<number> {
    const docs = (await model.collection
      .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1 } })
      .limit(this.options.batchSize ?? 100)
      .toArray()) as unknown as Array<Pick<EntityBase, '_id' | 'outbox'>>;
    let published = 0;
    for (const doc of docs) {
      for (const entry of doc.outbox) {
        const event = JSON.parse(entry.payload) as PorticoEvent;
        await this.options.publisher.publish(this.options.topics[entry.topic], [event]);
        await model.collection.updateOne(
          { _id: doc._id, 'outbox.0.id': entry.id } as never,
          {
            $pop: { outbox: -1 },
          } as never,
        );
        published += 1;
      }
    }
    return published;
  }
}
