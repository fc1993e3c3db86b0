/**
 * Several runs of the same scenarios folded into one report: each scenario keeps the fields of
 * a single run (`load`, `metrics`, `rssBytes`) holding the MEDIAN over the runs, plus `runs`
 * with every run's own values, so the spread (min/median/max) can be read back. Counts of
 * failures (non-2xx answers, socket errors, lost revocations) take the WORST run instead: a
 * median would hide one bad run.
 */
import type { RunValues, ScenarioResult } from './report.ts';
import type { LoadResult } from './wrk.ts';

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Min, median (the mean of the middle two for an even count) and max; undefined when empty. */
export function spread(values: readonly number[]): Spread | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}

const WORST_RUN = new Set(['non2xx', 'socketErrors', 'lost']);

function foldRecord(records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  for (const key of keys) {
    const values = records.map((r) => r[key]).filter((v): v is number => v !== undefined);
    out[key] = WORST_RUN.has(key) ? Math.max(...values) : (spread(values)?.median ?? Number.NaN);
  }
  return out;
}

function foldLoad(loads: LoadResult[]): LoadResult {
  const median = (pick: (l: LoadResult) => number) => spread(loads.map(pick))?.median ?? Number.NaN;
  return {
    requestsPerSecond: median((l) => l.requestsPerSecond),
    latencyMs: {
      p50: median((l) => l.latencyMs.p50),
      p75: median((l) => l.latencyMs.p75),
      p90: median((l) => l.latencyMs.p90),
      p99: median((l) => l.latencyMs.p99),
    },
    requests: Math.round(median((l) => l.requests)),
    non2xx: Math.max(...loads.map((l) => l.non2xx)),
    socketErrors: Math.max(...loads.map((l) => l.socketErrors)),
  };
}

/** One scenario per name, in the order the first run measured them. */
export function aggregate(perRun: ScenarioResult[][]): ScenarioResult[] {
  const names = [...new Set(perRun.flat().map((s) => s.name))];
  return names.map((name) => {
    const found = perRun.map((run) => run.find((s) => s.name === name));
    const first = found.find((s) => s !== undefined)!;
    const unsupported = found.find((s) => s?.unsupported)?.unsupported;
    if (unsupported) return { name, description: first.description, unsupported };
    const runs: RunValues[] = found.map((s, i) =>
      s === undefined
        ? { error: `not measured in run ${i + 1}` }
        : {
            ...(s.load ? { load: s.load } : {}),
            ...(s.metrics ? { metrics: s.metrics } : {}),
            ...(s.rssBytes ? { rssBytes: s.rssBytes } : {}),
            ...(s.error ? { error: s.error } : {}),
          },
    );
    const loads = runs.flatMap((r) => (r.load ? [r.load] : []));
    const metrics = runs.flatMap((r) => (r.metrics ? [r.metrics] : []));
    const rss = runs.flatMap((r) => (r.rssBytes ? [r.rssBytes] : []));
    const errors = runs.flatMap((r, i) => (r.error ? [`run ${i + 1}: ${r.error}`] : []));
    return {
      name,
      description: first.description,
      ...(loads.length > 0 ? { load: foldLoad(loads) } : {}),
      ...(metrics.length > 0 ? { metrics: foldRecord(metrics) } : {}),
      ...(rss.length > 0 ? { rssBytes: foldRecord(rss) } : {}),
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
      runs,
    };
  });
}

/** Per-run ratios folded the same way: the median in `ratios`, every run's value in `ratioRuns`. */
export function aggregateRatios(perRun: Record<string, number>[]): {
  ratios: Record<string, number>;
  ratioRuns: Record<string, number[]>;
} {
  const ratioRuns: Record<string, number[]> = {};
  for (const run of perRun)
    for (const [k, v] of Object.entries(run)) {
      const values = ratioRuns[k] ?? [];
      values.push(v);
      ratioRuns[k] = values;
    }
  const ratios: Record<string, number> = {};
  for (const [k, values] of Object.entries(ratioRuns)) ratios[k] = spread(values)?.median ?? Number.NaN;
  return { ratios, ratioRuns };
}
