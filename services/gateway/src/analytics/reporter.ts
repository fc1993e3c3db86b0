/**
 * Usage reporting (docs/adr/0080): requests are counted into the current window in memory; at
 * each window end the window becomes one batch, queued and published to the usage topic in the
 * background. The request path only ever touches the in-memory counter: a slow or absent Kafka
 * delays batches, never requests. Unsent batches wait in a bounded queue (oldest dropped, with a
 * metric) and are retried; stop() publishes the current window too. A crash loses the current
 * window and whatever was still queued.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@portico/core';
import type { EventPublisher, UsageBatch } from '@portico/events';
import { USAGE_LATENCY_BOUNDS_MS, usageBatchId } from '@portico/events';
import type { UsageSample } from './counter.ts';
import { UsageCounter } from './counter.ts';
import type { UsageMetrics } from './metrics.ts';

export interface UsageReporterOptions {
  replicaId: string;
  topic: string;
  windowMs: number;
  maxPendingBatches: number;
  publisher: EventPublisher;
  /** Creates the usage topic when missing; called until it succeeds once. */
  ensureTopic: () => Promise<void>;
  metrics: UsageMetrics;
  logger: Logger;
  /** How long stop() keeps trying to publish what is left. */
  stopTimeoutMs?: number;
  now?: () => number;
}

export class UsageReporter {
  private readonly options: UsageReporterOptions;
  private readonly now: () => number;
  private readonly instanceId = randomUUID().slice(0, 8);
  private counter = new UsageCounter();
  private windowStart: number;
  private readonly pending: UsageBatch[] = [];
  private topicReady = false;
  private sending: Promise<boolean> | undefined;
  private windowTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: UsageReporterOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.windowStart = this.alignedStart(this.now());
    options.metrics.pendingSource.current = () => this.pending.length;
  }

  /**
   * Starts closing windows on their boundaries, and creates the usage topic at once in the
   * background: the store's consumer can then join before the first batch, instead of finding
   * the topic only after it and waiting out its retry backoff. A failure here is retried before
   * the first batch is sent.
   */
  start(): void {
    this.scheduleWindowEnd();
    this.options
      .ensureTopic()
      .then(() => {
        this.topicReady = true;
      })
      .catch((err: Error) => {
        this.options.logger.warn(
          { err: err.message },
          'usage topic not created yet, retrying with the first batch',
        );
      });
  }

  /** Counts one answered request. Never throws, never waits. */
  record(sample: UsageSample): void {
    this.counter.record(sample);
  }

  /** Batches not yet accepted by Kafka. */
  pendingCount(): number {
    return this.pending.length;
  }

  /** Closes the current window, then tries for at most stopTimeoutMs to publish everything queued. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.windowTimer);
    clearTimeout(this.retryTimer);
    this.closeWindow();
    const deadline = this.now() + (this.options.stopTimeoutMs ?? 5000);
    while (this.pending.length > 0 && this.now() < deadline) {
      const left = deadline - this.now();
      const sent = await Promise.race([this.send(), sleep(left).then(() => false)]);
      if (!sent) await sleep(Math.min(200, Math.max(0, deadline - this.now())));
    }
    if (this.pending.length > 0) {
      this.options.metrics.dropped.inc(this.pending.length);
      this.options.logger.warn({ batches: this.pending.length }, 'usage batches unsent at shutdown: lost');
    }
    await this.options.publisher.close();
  }

  private alignedStart(t: number): number {
    return Math.floor(t / this.options.windowMs) * this.options.windowMs;
  }

  private scheduleWindowEnd(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.windowStart + this.options.windowMs - this.now());
    this.windowTimer = setTimeout(() => {
      this.closeWindow();
      this.scheduleWindowEnd();
      void this.send();
    }, delay);
    this.windowTimer.unref();
  }

  /** The counted window becomes a queued batch (none when nothing was counted). */
  private closeWindow(): void {
    const counter = this.counter;
    const start = this.windowStart;
    this.counter = new UsageCounter();
    this.windowStart = this.alignedStart(this.now());
    if (counter.isEmpty()) return;
    const { rows, lastUsed } = counter.snapshot();
    const startDate = new Date(start);
    const batchId = usageBatchId(this.options.replicaId, this.instanceId, startDate);
    this.enqueue({
      id: batchId,
      type: 'usage.batch',
      version: 1,
      occurredAt: new Date(this.now()).toISOString(),
      source: 'gateway',
      data: {
        batchId,
        replicaId: this.options.replicaId,
        instanceId: this.instanceId,
        windowStart: startDate.toISOString(),
        windowMs: this.options.windowMs,
        latencyBoundsMs: [...USAGE_LATENCY_BOUNDS_MS],
        rows,
        lastUsed,
      },
    });
  }

  private enqueue(batch: UsageBatch): void {
    this.pending.push(batch);
    while (this.pending.length > this.options.maxPendingBatches) {
      const dropped = this.pending.shift();
      this.options.metrics.dropped.inc();
      this.options.logger.warn(
        { batchId: dropped?.id, max: this.options.maxPendingBatches },
        'usage batch queue full: oldest batch dropped',
      );
    }
  }

  /** Publishes the queue in order, one attempt at a time. Resolves true when the queue is empty. */
  private send(): Promise<boolean> {
    this.sending ??= this.sendQueued().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  private async sendQueued(): Promise<boolean> {
    try {
      if (!this.topicReady && this.pending.length > 0) {
        await this.options.ensureTopic();
        this.topicReady = true;
      }
      for (let batch = this.pending[0]; batch !== undefined; batch = this.pending[0]) {
        await this.options.publisher.publish(this.options.topic, [batch]);
        // The queue may have dropped its oldest meanwhile: remove this batch, wherever it is.
        const i = this.pending.indexOf(batch);
        if (i >= 0) this.pending.splice(i, 1);
        this.options.metrics.published.inc();
      }
      return true;
    } catch (err) {
      this.options.metrics.publishFailures.inc();
      this.options.logger.warn(
        { err: (err as Error).message, pending: this.pending.length },
        'usage batch publish failed, will retry',
      );
      this.scheduleRetry();
      return false;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return; // one retry scheduled at a time
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        void this.send();
      },
      Math.min(5000, this.options.windowMs),
    );
    this.retryTimer.unref();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
