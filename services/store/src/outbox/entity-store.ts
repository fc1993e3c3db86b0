/**
 * Entities and their outbox live in ONE document (FerretDB has no multi-document transactions).
 * Every change is a single compare-and-set on the document's `revision` that also appends the
 * events describing the change to the document's `outbox` array: the pending event is part of
 * the durable fact, so a change is never stored without its event nor published without its
 * change. The relay (relay.ts) publishes `outbox` entries in order and pops them one by one.
 *
 * Deleted entities stay as tombstones (`deleted: true`) so that their last event can still be
 * published and a name reused later (tiers) continues the revision sequence.
 */
import type { PorticoEvent, TopicKey } from '@portico/events';
import type { Model } from 'mongoose';
import { Schema } from 'mongoose';

export interface OutboxEntry {
  id: string;
  topic: TopicKey;
  /** The exact JSON published to Kafka. */
  payload: string;
}

export interface EntityBase {
  _id: string;
  revision: number;
  deleted: boolean;
  outbox: OutboxEntry[];
  createdAt: Date;
  updatedAt: Date;
}

export const outboxEntrySchema = new Schema<OutboxEntry>(
  {
    id: { type: String, required: true },
    topic: { type: String, required: true },
    payload: { type: String, required: true },
  },
  { _id: false },
);

export const entityFields = {
  _id: { type: String, required: true },
  revision: { type: Number, required: true },
  deleted: { type: Boolean, required: true, default: false },
  outbox: { type: [outboxEntrySchema], default: [] },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
} as const;

export function toEntry(topic: TopicKey, event: PorticoEvent): OutboxEntry {
  return { id: event.id, topic, payload: JSON.stringify(event) };
}

/** Thrown when the compare-and-set lost too many times in a row (heavy contention). */
export class ConcurrentUpdateError extends Error {
  constructor() {
    super('concurrent update, try again');
    this.name = 'ConcurrentUpdateError';
  }
}

type Fields<T> = Omit<T, keyof EntityBase>;

/** Inserts a new entity at revision 1 with its creation events. Duplicate keys throw (11000). */
export async function insertEntity<T extends EntityBase>(
  model: Model<T>,
  id: string,
  fields: Fields<T>,
  events: (doc: T) => Array<[TopicKey, PorticoEvent]>,
): Promise<T> {
  const now = new Date();
  const doc = { ...fields, _id: id, revision: 1, deleted: false, createdAt: now, updatedAt: now } as T;
  doc.outbox = events(doc).map(([topic, e]) => toEntry(topic, e));
  await model.collection.insertOne(doc as never);
  return doc;
}

export type Change<T> =
  | { kind: 'unchanged' }
  | {
      kind: 'update';
      /** The new value of every field that changes (top-level fields, replaced whole). */
      set: Partial<Fields<T>> & { deleted?: boolean };
      /** Events built from the document as it will be (revision already incremented). */
      events?: (next: T) => Array<[TopicKey, PorticoEvent]>;
    };

/**
 * Reads the live entity, computes a change and writes it with a compare-and-set on `revision`,
 * retrying on a lost race. Returns undefined when no live entity matches `filter`.
 * `decide` may throw (a domain error) to refuse the change; nothing is written then.
 */
export async function mutateEntity<T extends EntityBase>(
  model: Model<T>,
  filter: Record<string, unknown>,
  decide: (current: T) => Change<T>,
  options: { includeDeleted?: boolean } = {},
): Promise<T | undefined> {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const query = options.includeDeleted ? filter : { ...filter, deleted: false };
    const current = (await model.collection.findOne(query as never)) as T | null;
    if (!current) return undefined;
    const change = decide(current);
    if (change.kind === 'unchanged') return current;
    const next = { ...current, ...change.set, revision: current.revision + 1, updatedAt: new Date() } as T;
    const entries = (change.events?.(next) ?? []).map(([topic, e]) => toEntry(topic, e));
    const { _id, outbox, createdAt, ...fields } = next;
    const result = await model.collection.findOneAndUpdate(
      { _id: current._id, revision: current.revision } as never,
      {
        $set: fields,
        ...(entries.length > 0 ? { $push: { outbox: { $each: entries } } } : {}),
      } as never,
      { returnDocument: 'after' },
    );
    if (result) return result as unknown as T;
  }
  throw new ConcurrentUpdateError();
}
