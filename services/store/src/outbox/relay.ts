/**
 * The store's outbox source for the shared relay loop (@portico/events OutboxRelay): publishes
 * pending outbox entries to Kafka, at least once, in order per entity:
 *   1. find documents whose `outbox` is not empty;
 *   2. publish the document's entries in order (one batch, keyed per entity by eventKey);
 *   3. pop each published entry, only while it is still the head of the array (so an entry
 *      appended meanwhile is never lost, and a second relay racing us cannot pop twice).
 * A crash between 2 and 3 republishes: consumers are idempotent (event id, entity revision).
 * Kafka down: the pass stops at the first failure and the loop retries with back-off; the API
 * keeps answering from MongoDB.
 */
import type { EventPublisher, OutboxSource, OutboxStats, PorticoEvent, TopicNames } from '@portico/events';
import type { Model } from 'mongoose';
import type { EntityBase } from './entity-store.ts';

export interface EntityOutboxOptions {
  models: Array<Model<EntityBase>>;
  publisher: Pick<EventPublisher, 'publish'>;
  topics: TopicNames;
  batchSize?: number;
  /** Extra work after each successful pass (e.g. finishing interrupted deletions). */
  afterPass?: () => Promise<void>;
}

export function entityOutboxSource(options: EntityOutboxOptions): OutboxSource {
  return {
    async pass() {
      let published = 0;
      for (const model of options.models) published += await drain(model, options);
      await options.afterPass?.();
      return published;
    },
    stats: () => stats(options.models),
  };
}

async function stats(models: Array<Model<EntityBase>>): Promise<OutboxStats> {
  let pending = 0;
  let oldest = Date.now();
  for (const model of models) {
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

async function drain(model: Model<EntityBase>, options: EntityOutboxOptions): Promise<number> {
  const docs = (await model.collection
    .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1 } })
    .limit(options.batchSize ?? 100)
    .toArray()) as unknown as Array<Pick<EntityBase, '_id' | 'outbox'>>;
  let published = 0;
  for (const doc of docs) {
    for (const entry of doc.outbox) {
      const event = JSON.parse(entry.payload) as PorticoEvent;
      await options.publisher.publish(options.topics[entry.topic], [event]);
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
