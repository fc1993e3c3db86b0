/**
 * Usage ledger: the gateways' usage batches (topic portico.usage.v1) folded into MongoDB, rolled
 * up to hours and days, expired by age (docs/adr/0082).
 *
 * Exactly once without transactions (FerretDB has none): every batch row is its own document,
 * `_id = <batchId>|<row key>`, inserted with $setOnInsert, so a re-delivered batch changes
 * nothing. Hours and days are recomputed from what they summarise (never incremented), so the
 * roll-up can run on every store replica at once and be repeated. A batch older than the
 * minute retention cannot be recounted safely (its minute rows are gone): it is dropped and
 * counted. Expiry is a job, not a TTL index (FerretDB 1.x has none).
 */
import type { UsageBatch, UsageRow } from '@portico/events';
import { mergeLatencyBuckets, USAGE_BUCKETS } from '@portico/events';
import type { mongo } from 'mongoose';

export type Granularity = 'minute' | 'hour' | 'day';
const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface UsageRetention {
  minuteHours: number;
  hourDays: number;
  dayDays: number;
}

/** One counted cell: a row of a batch, or the sum of such rows over an hour or a day. */
export interface UsageCell {
  _id: string;
  time: Date;
  applicationId: string | null;
  keyType: 'PRODUCTION' | 'SANDBOX' | null;
  apiId: string | null;
  statusClass: UsageRow['statusClass'];
  requests: number;
  latencySumMs: number;
  latencyBuckets: number[];
}

export interface LastUsed {
  _id: string; // client id
  applicationId: string | null;
  keyType: 'PRODUCTION' | 'SANDBOX' | null;
  at: Date;
}

export interface UsageFilter {
  applicationId?: string;
  apiId?: string;
  keyType?: 'PRODUCTION' | 'SANDBOX';
}

export type FoldResult = 'folded' | 'too-old';

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

export class UsageLedger {
  private readonly minutes: mongo.Collection<UsageCell>;
  private readonly hours: mongo.Collection<UsageCell>;
  private readonly days: mongo.Collection<UsageCell>;
  private readonly lastUsed: mongo.Collection<LastUsed>;
  private readonly state: mongo.Collection<{ _id: string; hours: Date[] }>;

  private readonly retention: UsageRetention;

  constructor(db: mongo.Db, retention: UsageRetention) {
    this.retention = retention;
    this.minutes = db.collection('usage_minutes');
    this.hours = db.collection('usage_hours');
    this.days = db.collection('usage_days');
    this.lastUsed = db.collection('usage_last_used');
    this.state = db.collection('usage_state');
  }

  async ensureIndexes(): Promise<void> {
    for (const col of [this.minutes, this.hours, this.days]) {
      await col.createIndex({ applicationId: 1, time: 1 });
      await col.createIndex({ apiId: 1, time: 1 });
      await col.createIndex({ time: 1 });
    }
    await this.lastUsed.createIndex({ applicationId: 1 });
  }

  /** Folds one batch; safe to call again with the same batch. */
  async fold(batch: UsageBatch, now = Date.now()): Promise<FoldResult> {
    const data = batch.data;
    const minute = floorTo(Date.parse(data.windowStart), STEP_MS.minute);
    const hour = floorTo(minute, STEP_MS.hour);
    // Its hour must still have every minute row, or recomputing it would lose the others.
    if (hour < this.oldestWholeHour(now)) return 'too-old';
    const time = new Date(minute);
    if (data.rows.length > 0) {
      await this.minutes.bulkWrite(
        data.rows.map((row) => {
          const cell: UsageCell = {
            _id: `${data.batchId}|${row.key}`,
            time,
            applicationId: row.applicationId,
            keyType: row.keyType,
            apiId: row.apiId,
            statusClass: row.statusClass,
            requests: row.requests,
            latencySumMs: row.latencySumMs,
            latencyBuckets: row.latencyBuckets,
          };
          return { updateOne: { filter: { _id: cell._id }, update: { $setOnInsert: cell }, upsert: true } };
        }),
        { ordered: false },
      );
    }
    for (const used of data.lastUsed) {
      await this.lastUsed.updateOne(
        { _id: used.clientId },
        {
          $max: { at: new Date(used.at) },
          $set: { applicationId: used.applicationId, keyType: used.keyType },
        },
        { upsert: true },
      );
    }
    // A late batch for an hour the roll-up has passed: recompute that hour next time.
    if (hour < floorTo(now, STEP_MS.hour) - STEP_MS.hour) {
      await this.state.updateOne(
        { _id: 'dirty' },
        { $addToSet: { hours: new Date(hour) } },
        { upsert: true },
      );
    }
    return 'folded';
  }

  /**
   * Recomputes the current and previous hour (and any hour a late batch touched) from their
   * minute rows, and the days those hours lie in from their hours. Idempotent.
   */
  async rollUp(now = Date.now()): Promise<void> {
    const current = floorTo(now, STEP_MS.hour);
    const dirty = (await this.state.findOne({ _id: 'dirty' }))?.hours ?? [];
    const oldest = this.oldestWholeHour(now);
    const hours = new Set([current, current - STEP_MS.hour, ...dirty.map((d) => d.getTime())]);
    const days = new Set<number>();
    for (const hour of hours) {
      if (hour < oldest) continue;
      await this.recompute(this.minutes, this.hours, hour, STEP_MS.hour);
      days.add(floorTo(hour, STEP_MS.day));
    }
    for (const day of days) await this.recompute(this.hours, this.days, day, STEP_MS.day);
    if (dirty.length > 0) await this.state.updateOne({ _id: 'dirty' }, { $pullAll: { hours: dirty } });
  }

  /** The start of the oldest hour whose minute rows are all still kept. */
  private oldestWholeHour(now: number): number {
    return floorTo(now - this.retention.minuteHours * STEP_MS.hour, STEP_MS.hour) + STEP_MS.hour;
  }

  /** Deletes what is older than its retention. */
  async expire(now = Date.now()): Promise<void> {
    const before = (ms: number) => ({ time: { $lt: new Date(now - ms) } });
    await this.minutes.deleteMany(before(this.retention.minuteHours * STEP_MS.hour));
    await this.hours.deleteMany(before(this.retention.hourDays * STEP_MS.day));
    await this.days.deleteMany(before(this.retention.dayDays * STEP_MS.day));
  }

  /** The cells of a range at one granularity, oldest first. */
  async cells(filter: UsageFilter, granularity: Granularity, from: Date, to: Date): Promise<UsageCell[]> {
    const col = { minute: this.minutes, hour: this.hours, day: this.days }[granularity];
    const query: Record<string, unknown> = { time: { $gte: from, $lt: to } };
    if (filter.applicationId !== undefined) query['applicationId'] = filter.applicationId;
    if (filter.apiId !== undefined) query['apiId'] = filter.apiId;
    if (filter.keyType !== undefined) query['keyType'] = filter.keyType;
    const cells = (await col.find(query).sort({ time: 1 }).toArray()) as UsageCell[];
    // FerretDB leaves out the null fields of a `$setOnInsert` upsert: a missing id is null
    // (calls of no known application), not an application of its own.
    return cells.map((c) => ({
      ...c,
      applicationId: c.applicationId ?? null,
      keyType: c.keyType ?? null,
      apiId: c.apiId ?? null,
    }));
  }

  async lastUsedOf(applicationId: string): Promise<LastUsed[]> {
    return this.lastUsed.find({ applicationId }).toArray() as Promise<LastUsed[]>;
  }

  private async recompute(
    source: mongo.Collection<UsageCell>,
    target: mongo.Collection<UsageCell>,
    start: number,
    step: number,
  ): Promise<void> {
    const rows = await source
      .find({ time: { $gte: new Date(start), $lt: new Date(start + step) } })
      .toArray();
    const sums = new Map<string, UsageCell>();
    for (const r of rows) {
      const key = `${r.applicationId ?? '-'}|${r.keyType ?? '-'}|${r.apiId ?? '-'}|${r.statusClass}`;
      const sum = sums.get(key);
      if (sum) {
        sum.requests += r.requests;
        sum.latencySumMs += r.latencySumMs;
        sum.latencyBuckets = mergeLatencyBuckets(sum.latencyBuckets, r.latencyBuckets);
      } else {
        sums.set(key, {
          ...r,
          _id: `${new Date(start).toISOString()}|${key}`,
          time: new Date(start),
          latencyBuckets: mergeLatencyBuckets(r.latencyBuckets, new Array(USAGE_BUCKETS).fill(0)),
        });
      }
    }
    if (sums.size > 0) {
      await target.bulkWrite(
        [...sums.values()].map((cell) => ({
          replaceOne: { filter: { _id: cell._id }, replacement: cell, upsert: true },
        })),
        { ordered: false },
      );
    }
    // Only whole periods are recomputed (oldestWholeHour), so a sum never loses rows.
  }
}

export function stepMs(granularity: Granularity): number {
  return STEP_MS[granularity];
}
