/**
 * Publishes pending outbox records to the revocations topic (client changes to the clients
 * topic) and marks them published.
 * At-least-once: a crash between publish and mark republishes the same event ids, which
 * consumers ignore. When Kafka is down the records stay pending (revocations still answer 200
 * once durable) and the relay retries with backoff; the pending count and the oldest pending
 * age are exported as metrics.
 */
import type { Counter, Logger, Metrics } from '@portico/core';
import { promClient } from '@portico/core';
import type { ClientEvent, EventPublisher, RevocationEvent } from '@portico/events';
import { makeEvent } from '@portico/events';
import type { Outbox, OutboxDoc } from './outbox.ts';
import { OUTBOX_SOURCE } from './outbox.ts';

export interface RelayOptions {
  outbox: Outbox;
  publisher: Pick<EventPublisher, 'publish'>;
  topic: string;
  /** Where client change events (client.upserted/deleted) go. */
  clientsTopic: string;
  logger: Logger;
  metrics: Metrics;
  pollMs: number;
  batchSize: number;
  /** Expands an "all tokens issued before" record into events the gateway understands. */
  expandAll: (before: Date) => Promise<{ clientIds: string[]; domains: string[] }>;
}

export class OutboxRelay {
  private readonly options: RelayOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private failures = 0;
  private lastPrune = 0;
  private readonly published: Counter<'type'>;

  constructor(options: RelayOptions) {
    this.options = options;
    const registry = options.metrics.registry;
    this.published =
      (registry.getSingleMetric('keymanager_revocations_published_total') as Counter<'type'>) ??
      new promClient.Counter({
        name: 'keymanager_revocations_published_total',
        help: 'Revocation events published to Kafka, by type',
        labelNames: ['type'],
        registers: [registry],
      });
    if (!registry.getSingleMetric('keymanager_outbox_pending')) {
      const outbox = options.outbox;
      let last = { pending: 0, oldestPendingAgeSeconds: 0 };
      const refresh = async () => {
        last = await outbox.stats().catch(() => last);
      };
      new promClient.Gauge({
        name: 'keymanager_outbox_pending',
        help: 'Revocation outbox records not yet published',
        registers: [registry],
        async collect() {
          await refresh();
          this.set(last.pending);
        },
      });
      new promClient.Gauge({
        name: 'keymanager_outbox_oldest_pending_age_seconds',
        help: 'Age of the oldest unpublished revocation outbox record',
        registers: [registry],
        async collect() {
          await refresh();
          this.set(last.oldestPendingAgeSeconds);
        },
      });
    }
    options.outbox.onWrite(() => this.nudge());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Publish soon (after a write) instead of at the next poll. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.failures === 0) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: publish everything pending (in batches). Exposed for tests. */
  async drain(): Promise<number> {
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      await this.options.outbox.prune();
    }
    let total = 0;
    for (;;) {
      const docs = await this.options.outbox.pending(this.options.batchSize);
      if (docs.length === 0) return total;
      const revocations: RevocationEvent[] = [];
      const clientEvents: ClientEvent[] = [];
      for (const doc of docs) {
        if (doc.clientEvent) clientEvents.push(doc.clientEvent);
        else revocations.push(...(await this.eventsOf(doc)));
      }
      await this.options.publisher.publish(this.options.topic, revocations);
      await this.options.publisher.publish(this.options.clientsTopic, clientEvents);
      await this.options.outbox.markPublished(docs.map((d) => d._id));
      for (const e of revocations) this.published.inc({ type: e.type });
      total += docs.length;
      if (docs.length < this.options.batchSize) return total;
    }
  }

  private async eventsOf(doc: OutboxDoc): Promise<RevocationEvent[]> {
    if (doc.event) return [doc.event];
    // "Every token issued before T": one event per client and per domain, with stable ids.
    const before = new Date(doc.revokedBeforeMs);
    const { clientIds, domains } = await this.options.expandAll(before);
    const revokedBefore = before.toISOString();
    return [
      ...clientIds.map((clientId, i) =>
        makeEvent('client.tokens_revoked', { clientId, revokedBefore }, OUTBOX_SOURCE, {
          id: `${doc._id}-c${i}`,
        }),
      ),
      ...domains.map((domain, i) =>
        makeEvent('domain.tokens_revoked', { domain, revokedBefore }, OUTBOX_SOURCE, {
          id: `${doc._id}-d${i}`,
        }),
      ),
    ];
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.running = this.drain()
      .then(
        () => {
          this.failures = 0;
        },
        (err: Error) => {
          this.failures += 1;
          this.options.logger.warn(
            { err: err.message, failures: this.failures },
            'outbox relay: publish failed',
          );
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const backoff =
          this.failures === 0 ? this.options.pollMs : Math.min(10_000, 250 * 2 ** this.failures);
        this.schedule(this.again && this.failures === 0 ? 0 : backoff);
        this.again = false;
      });
  }
}
