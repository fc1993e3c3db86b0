/**
 * Per-window usage aggregation in memory (docs/adr/0080): one row per (application, key type,
 * API, status class) with a request count and a fixed-bucket latency histogram, plus the last use
 * of each OAuth client. Pure: no clock, no I/O; the reporter decides when a window ends.
 */
import type { KeyType, UsageLastUsed, UsageRow, UsageStatusClass } from '@portico/events';
import { latencyBucket, USAGE_BUCKETS, usageRowKey, usageStatusClass } from '@portico/events';

export interface UsageSample {
  applicationId: string | null;
  keyType: KeyType | null;
  apiId: string | null;
  /** OAuth client of a valid token, else null. */
  clientId: string | null;
  status: number;
  latencyMs: number;
  /** Epoch ms when the response finished. */
  at: number;
}

interface Row {
  applicationId: string | null;
  keyType: KeyType | null;
  apiId: string | null;
  statusClass: UsageStatusClass;
  requests: number;
  latencySumMs: number;
  latencyBuckets: number[];
}

export class UsageCounter {
  private readonly rows = new Map<string, Row>();
  private readonly lastUsed = new Map<
    string,
    { applicationId: string | null; keyType: KeyType | null; at: number }
  >();

  record(s: UsageSample): void {
    const statusClass = usageStatusClass(s.status);
    // Ids are never empty and never hold NUL: one map lookup per request, no object allocated on a hit.
    const id = `${s.applicationId ?? ''}\u0000${s.keyType ?? ''}\u0000${s.apiId ?? ''}\u0000${statusClass}`;
    let row = this.rows.get(id);
    if (!row) {
      row = {
        applicationId: s.applicationId,
        keyType: s.keyType,
        apiId: s.apiId,
        statusClass,
        requests: 0,
        latencySumMs: 0,
        latencyBuckets: new Array<number>(USAGE_BUCKETS).fill(0),
      };
      this.rows.set(id, row);
    }
    row.requests += 1;
    row.latencySumMs += s.latencyMs;
    const b = latencyBucket(s.latencyMs);
    row.latencyBuckets[b] = (row.latencyBuckets[b] as number) + 1;
    if (s.clientId !== null) {
      const seen = this.lastUsed.get(s.clientId);
      if (!seen || seen.at <= s.at) {
        this.lastUsed.set(s.clientId, { applicationId: s.applicationId, keyType: s.keyType, at: s.at });
      }
    }
  }

  isEmpty(): boolean {
    return this.rows.size === 0;
  }

  /** The rows and last uses counted so far, in the batch's shape. */
  snapshot(): { rows: UsageRow[]; lastUsed: UsageLastUsed[] } {
    const rows: UsageRow[] = [];
    for (const r of this.rows.values()) {
      rows.push({ key: usageRowKey(r), ...r, latencySumMs: Math.round(r.latencySumMs * 1000) / 1000 });
    }
    const lastUsed: UsageLastUsed[] = [];
    for (const [clientId, u] of this.lastUsed) {
      lastUsed.push({
        clientId,
        applicationId: u.applicationId,
        keyType: u.keyType,
        at: new Date(u.at).toISOString(),
      });
    }
    return { rows, lastUsed };
  }
}
