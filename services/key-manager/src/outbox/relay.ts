/**
 * The key-manager's outbox source for the shared relay loop (@portico/events OutboxRelay):
 * publishes pending outbox records to the revocations topic (client changes to the clients
 * topic) and marks them published.
 * At-least-once: a crash between publish and mark republishes the same event ids, which
 * consumers ignore. When Kafka is down the records stay pending (revocations still answer 200
 * once durable) and the loop retries with backoff.
 */
import type { Counter, Metrics } from '@portico/core';
import { promClient } from '@portico/core';
import type { ClientEvent, EventPublisher, OutboxSource, RevocationEvent } from '@portico/events';
import { makeEvent } from '@portico/events';
import type { Outbox, OutboxDoc } from './outbox.ts';
import { OUTBOX_SOURCE } from './outbox.ts';

export interface RevocationOutboxOptions {
  outbox: Outbox;
  publisher: Pick<EventPublisher, 'publish'>;
  topic: string;
  /** Where client change events (client.upserted/deleted) go. */
  clientsTopic: string;
  metrics: Metrics;
  batchSize: number;
  /** Expands an "all tokens issued before" record into events the gateway understands. */
  expandAll: (before: Date) => Promise<{ clientIds: string[]; domains: string[] }>;
}

/** The gauges of the key-manager's outbox (names kept from before the shared loop). */
export const REVOCATION_OUTBOX_GAUGES = {
  pending: { name: 'keymanager_outbox_pending', help: 'Revocation outbox records not yet published' },
  oldestAge: {
    name: 'keymanager_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished revocation outbox record',
  },
};

export function revocationOutboxSource(options: RevocationOutboxOptions): OutboxSource {
  const registry = options.metrics.registry;
  const published =
    (registry.getSingleMetric('keymanager_revocations_published_total') as Counter<'type'>) ??
    new promClient.Counter({
      name: 'keymanager_revocations_published_total',
      help: 'Revocation events published to Kafka, by type',
      labelNames: ['type'],
      registers: [registry],
    });
  let lastPrune = 0;
  return {
    async pass() {
      if (Date.now() - lastPrune > 60_000) {
        lastPrune = Date.now();
        await options.outbox.prune();
      }
      let total = 0;
      for (;;) {
        const docs = await options.outbox.pending(options.batchSize);
        if (docs.length === 0) return total;
        const revocations: RevocationEvent[] = [];
        const clientEvents: ClientEvent[] = [];
        for (const doc of docs) {
          if (doc.clientEvent) clientEvents.push(doc.clientEvent);
          else revocations.push(...(await eventsOf(doc, options)));
        }
        await options.publisher.publish(options.topic, revocations);
        await options.publisher.publish(options.clientsTopic, clientEvents);
        await options.outbox.markPublished(docs.map((d) => d._id));
        for (const e of revocations) published.inc({ type: e.type });
        total += docs.length;
        if (docs.length < options.batchSize) return total;
      }
    },
    async stats() {
      const s = await options.outbox.stats();
      return { pending: s.pending, oldestAgeSeconds: s.oldestPendingAgeSeconds };
    },
  };
}

async function eventsOf(doc: OutboxDoc, options: RevocationOutboxOptions): Promise<RevocationEvent[]> {
  if (doc.event) return [doc.event];
  // "Every token issued before T": one event per client and per domain, with stable ids.
  const before = new Date(doc.revokedBeforeMs);
  const { clientIds, domains } = await options.expandAll(before);
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
