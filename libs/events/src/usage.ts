/**
 * Usage batches (topic `portico.usage.v1`, produced and created by the gateway): what one gateway
 * replica counted in one window (one minute by default), per application, key type, API and
 * status class, with latency as a fixed-bucket histogram so batches of any replicas and minutes
 * can be summed. Documented in docs/events.md (docs/adr/0080).
 *
 * Folding rules for consumers: the envelope id is the batch id
 * `<replicaId>:<instanceId>:<windowStart ISO>`; a re-delivered batch has the same id and the same
 * rows, so a consumer that remembers applied batch ids (or upserts per batch id and row `key`)
 * folds each batch exactly once.
 *
 * This file does not import schemas.ts (schemas.ts imports it into `anyEvent`).
 */
import { z } from 'zod';

/**
 * Upper bounds (ms, inclusive) of the latency buckets; one more bucket counts everything above
 * the last bound. Fixed for `version: 1`: changing them is a new topic version.
 */
export const USAGE_LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
] as const;
export const USAGE_BUCKETS = USAGE_LATENCY_BOUNDS_MS.length + 1;

/**
 * Status classes: 401/403 (refused credentials or access) and 429 (throttled) apart from the
 * other 4xx, since those are what API consumers and operators ask about first.
 */
export const usageStatusClassSchema = z.enum(['2xx', '3xx', '401/403', '429', '4xx', '5xx']);
export type UsageStatusClass = z.infer<typeof usageStatusClassSchema>;

export function usageStatusClass(status: number): UsageStatusClass {
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status === 401 || status === 403) return '401/403';
  if (status === 429) return '429';
  if (status < 500) return '4xx';
  return '5xx';
}

const isoTime = z.iso.datetime({ offset: true });
const id = z.string().min(1).max(256);
const count = z.number().int().nonnegative();

export const usageRowSchema = z
  .object({
    /** Unique within the batch: `<applicationId>|<keyType>|<apiId>|<statusClass>` (`-` for null). */
    key: z.string().min(1).max(1024),
    /** null: no application known (no or invalid token, or a client of no application). */
    applicationId: id.nullable(),
    keyType: z.enum(['PRODUCTION', 'SANDBOX']).nullable(),
    /** null: the path matched no API. */
    apiId: id.nullable(),
    statusClass: usageStatusClassSchema,
    requests: count.min(1),
    /** Sum of the latencies (ms, total time at the gateway including the upstream). */
    latencySumMs: z.number().nonnegative(),
    /** Counts per bucket of USAGE_LATENCY_BOUNDS_MS (last = above the last bound); sums to `requests`. */
    latencyBuckets: z.array(count).length(USAGE_BUCKETS),
  })
  .refine((r) => r.latencyBuckets.reduce((a, b) => a + b, 0) === r.requests, {
    message: 'latencyBuckets must sum to requests',
  });
export type UsageRow = z.infer<typeof usageRowSchema>;

export const usageLastUsedSchema = z.object({
  clientId: id,
  applicationId: id.nullable(),
  keyType: z.enum(['PRODUCTION', 'SANDBOX']).nullable(),
  /** Time of the last request with a valid token of this client in the window. */
  at: isoTime,
});
export type UsageLastUsed = z.infer<typeof usageLastUsedSchema>;

export const usageBatchData = z.object({
  batchId: z.string().min(1).max(512),
  /** GATEWAY_REPLICA_ID or the host name. */
  replicaId: z.string().min(1).max(128),
  /** Random per process start: a restarted replica with the same name never reuses a batch id. */
  instanceId: z.string().min(1).max(64),
  /** Start of the counted window; windows divide the minute, so a window lies within one minute. */
  windowStart: isoTime,
  windowMs: z.number().int().positive().max(60_000),
  latencyBoundsMs: z.array(z.number().positive()),
  rows: z.array(usageRowSchema),
  lastUsed: z.array(usageLastUsedSchema),
});
export type UsageBatchData = z.infer<typeof usageBatchData>;

export const usageBatch = z.object({
  id: z.string().min(1).max(512),
  type: z.literal('usage.batch'),
  version: z.literal(1),
  occurredAt: isoTime,
  source: z.string().min(1).max(64),
  data: usageBatchData,
});
export type UsageBatch = z.infer<typeof usageBatch>;

export function usageBatchId(replicaId: string, instanceId: string, windowStart: Date): string {
  return `${replicaId}:${instanceId}:${windowStart.toISOString()}`;
}

export function usageRowKey(
  r: Pick<UsageRow, 'applicationId' | 'keyType' | 'apiId' | 'statusClass'>,
): string {
  return `${r.applicationId ?? '-'}|${r.keyType ?? '-'}|${r.apiId ?? '-'}|${r.statusClass}`;
}

// --- the topic ---------------------------------------------------------------------------------
export const USAGE_TOPIC_BASE_NAME = 'portico.usage.v1';

export function usageTopicName(prefix = ''): string {
  return `${prefix}${USAGE_TOPIC_BASE_NAME}`;
}

/** Not compacted (every batch counts); kept long enough for a consumer to be down a while. */
export function usageTopicSpec(
  topic: string,
  options: { retentionMs?: number; partitions?: number } = {},
): { topic: string; numPartitions: number; configEntries: Array<{ name: string; value: string }> } {
  return {
    topic,
    numPartitions: options.partitions ?? 3,
    configEntries: [
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'retention.ms', value: String(options.retentionMs ?? 7 * 24 * 3600 * 1000) },
    ],
  };
}

// --- the latency histogram -------------------------------------------------------------------
/** Index of the bucket counting `ms`. */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < USAGE_LATENCY_BOUNDS_MS.length; i += 1) {
    if (ms <= (USAGE_LATENCY_BOUNDS_MS[i] as number)) return i;
  }
  return USAGE_LATENCY_BOUNDS_MS.length;
}

/** Bucket-wise sum: histograms of replicas, minutes or rows add up. */
export function mergeLatencyBuckets(...histograms: ReadonlyArray<readonly number[]>): number[] {
  const out = new Array<number>(USAGE_BUCKETS).fill(0);
  for (const h of histograms) {
    if (h.length !== USAGE_BUCKETS) throw new Error(`expected ${USAGE_BUCKETS} buckets, got ${h.length}`);
    for (let i = 0; i < USAGE_BUCKETS; i += 1) out[i] = (out[i] as number) + (h[i] as number);
  }
  return out;
}

/**
 * The q-quantile (0..1) in ms, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; the overflow bucket answers its lower bound. null when empty.
 */
export function latencyQuantileMs(buckets: readonly number[], q: number): number | null {
  if (q < 0 || q > 1) throw new Error('q must be within 0..1');
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i += 1) {
    const n = buckets[i] as number;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : (USAGE_LATENCY_BOUNDS_MS[i - 1] as number);
      const upper = USAGE_LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return USAGE_LATENCY_BOUNDS_MS[USAGE_LATENCY_BOUNDS_MS.length - 1] as number;
}
