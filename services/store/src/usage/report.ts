/**
 * Usage reports: the ledger's cells of a range summed per time step into the series the REST
 * API returns, with totals, latency quantiles from the merged histograms and "last used".
 */
import type { UsagePoint, UsageReport, UsageTotals } from '@portico/contracts';
import { latencyQuantileMs, mergeLatencyBuckets, USAGE_BUCKETS } from '@portico/events';
import { InvalidInput } from '../domain/errors.ts';
import type { Granularity, UsageCell, UsageFilter, UsageLedger } from './ledger.ts';
import { stepMs } from './ledger.ts';

/** At most this many points per answer: a wider range needs a coarser granularity. */
export const MAX_POINTS = 1500;

export async function usageReport(
  ledger: UsageLedger,
  filter: UsageFilter,
  granularity: Granularity,
  from: Date,
  to: Date,
): Promise<UsageReport> {
  if (to.getTime() <= from.getTime()) throw new InvalidInput('`to` must be after `from`', 'bad_request');
  const step = stepMs(granularity);
  const start = Math.floor(from.getTime() / step) * step;
  const end = Math.ceil(to.getTime() / step) * step;
  if ((end - start) / step > MAX_POINTS) {
    throw new InvalidInput(
      `The range holds more than ${MAX_POINTS} ${granularity}s: choose a coarser granularity`,
      'bad_request',
    );
  }
  const cells = await ledger.cells(filter, granularity, new Date(start), new Date(end));
  const byTime = new Map<number, UsageCell[]>();
  for (const c of cells) {
    const t = c.time.getTime();
    byTime.set(t, [...(byTime.get(t) ?? []), c]);
  }
  const series: UsagePoint[] = [];
  for (let t = start; t < end; t += step) {
    series.push({ time: new Date(t).toISOString(), ...summarise(byTime.get(t) ?? []) });
  }
  return {
    granularity,
    from: new Date(start).toISOString(),
    to: new Date(end).toISOString(),
    series,
    totals: summarise(cells),
  };
}

function summarise(cells: UsageCell[]): UsageTotals {
  let requests = 0;
  let errors4xx = 0;
  let errors5xx = 0;
  let throttled = 0;
  let buckets = new Array<number>(USAGE_BUCKETS).fill(0);
  for (const c of cells) {
    requests += c.requests;
    if (c.statusClass === '4xx' || c.statusClass === '401/403') errors4xx += c.requests;
    else if (c.statusClass === '5xx') errors5xx += c.requests;
    else if (c.statusClass === '429') throttled += c.requests;
    buckets = mergeLatencyBuckets(buckets, c.latencyBuckets);
  }
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return {
    requests,
    errors4xx,
    errors5xx,
    throttled,
    latencyP50Ms: round(latencyQuantileMs(buckets, 0.5)),
    latencyP95Ms: round(latencyQuantileMs(buckets, 0.95)),
  };
}

/** Top applications of an API over a range (admins). */
export async function topApplications(
  ledger: UsageLedger,
  apiId: string,
  granularity: Granularity,
  from: Date,
  to: Date,
  limit = 10,
): Promise<Array<{ applicationId: string; requests: number }>> {
  const cells = await ledger.cells({ apiId }, granularity, from, to);
  const sums = new Map<string, number>();
  for (const c of cells) {
    if (c.applicationId === null) continue;
    sums.set(c.applicationId, (sums.get(c.applicationId) ?? 0) + c.requests);
  }
  return [...sums]
    .map(([applicationId, requests]) => ({ applicationId, requests }))
    .sort((a, b) => b.requests - a.requests)
    .slice(0, limit);
}
