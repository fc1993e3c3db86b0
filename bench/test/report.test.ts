/**
 * How several benchmark runs become one report (pure functions: no servers, no load).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, aggregateRatios, spread } from '../src/aggregate.ts';
import { cell, toMarkdown } from '../src/markdown.ts';
import { runRatios } from '../src/ratios.ts';
import type { Report, ScenarioResult } from '../src/report.ts';
import type { LoadResult } from '../src/wrk.ts';

const loadOf = (rps: number, p99 = 10, non2xx = 0): LoadResult => ({
  requestsPerSecond: rps,
  latencyMs: { p50: p99 / 4, p75: p99 / 3, p90: p99 / 2, p99 },
  requests: rps * 10,
  non2xx,
  socketErrors: 0,
});
const scenario = (name: string, load: LoadResult, rss?: number): ScenarioResult => ({
  name,
  description: name,
  load,
  ...(rss !== undefined ? { rssBytes: { p: rss } } : {}),
});

test('spread: min, median (middle of an odd count, mean of the middle two of an even one) and max', () => {
  assert.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.deepEqual(spread([4, 1, 2, 3]), { min: 1, median: 2.5, max: 4 });
  assert.equal(spread([]), undefined);
});

test('aggregate: each figure is the median over the runs and every run keeps its own values', () => {
  const [s] = aggregate([
    [scenario('raw-undici-proxy', loadOf(100, 30), 10)],
    [scenario('raw-undici-proxy', loadOf(300, 10), 30)],
    [scenario('raw-undici-proxy', loadOf(200, 20), 20)],
  ]);
  assert.equal(s?.load?.requestsPerSecond, 200);
  assert.equal(s?.load?.latencyMs.p99, 20);
  assert.deepEqual(s?.rssBytes, { p: 20 });
  assert.deepEqual(
    s?.runs?.map((r) => r.load?.requestsPerSecond),
    [100, 300, 200],
  );
});

test('aggregate: failure counts take the worst run, not the median', () => {
  const [s, lag] = aggregate(
    [0, 5, 0].map((bad) => [
      scenario('portico-jwt', loadOf(100, 10, bad)),
      { name: 'revocation-lag', description: '', metrics: { lost: bad, 'all replicas p50 ms': 3 + bad } },
    ]),
  );
  assert.equal(s?.load?.non2xx, 5);
  assert.equal(lag?.metrics?.['lost'], 5);
  assert.equal(lag?.metrics?.['all replicas p50 ms'], 3);
});

test('aggregate: a run that failed or skipped a scenario is named in its error, the others still count', () => {
  const [s] = aggregate([
    [scenario('nginx', loadOf(100))],
    [{ name: 'nginx', description: 'nginx', error: 'nginx exited' }],
    [],
  ]);
  assert.equal(s?.load?.requestsPerSecond, 100);
  assert.equal(s?.error, 'run 2: nginx exited; run 3: not measured in run 3');
});

test('aggregate: an unsupported scenario stays a single "not measurable" entry with its reason', () => {
  const unsupported = { name: 'portico-auth-off', description: 'off', unsupported: 'no way to turn it off' };
  assert.deepEqual(aggregate([[unsupported], [unsupported]]), [unsupported]);
});

test('ratios: the gateway is compared with the fastest minimal Node proxy of the same run', () => {
  const { ratios, fastestNodeProxy } = runRatios([
    scenario('raw-node-proxy', loadOf(1000, 8)),
    scenario('raw-undici-proxy', loadOf(1600, 4)),
    scenario('http-proxy-middleware', loadOf(800, 12)),
    scenario('portico-opaque-l1', loadOf(800, 10)),
    scenario('portico-scale-1-replica', loadOf(700)),
    scenario('portico-scale-2-replicas', loadOf(1050)),
  ]);
  assert.equal(fastestNodeProxy, 'raw-undici-proxy');
  assert.equal(ratios['portico-opaque-l1 / fastest Node proxy (req/s)'], 0.5);
  assert.equal(ratios['portico-opaque-l1 p99 / raw-undici-proxy p99'], 2.5);
  assert.equal(ratios['raw-undici-proxy / raw-node-proxy (req/s)'], 1.6);
  assert.equal(ratios['portico-scale-2-replicas / portico-scale-1-replica (req/s)'], 1.5);
  // the unpinned scaling scenarios are not compared with the pinned baselines
  assert.equal(ratios['portico-scale-1-replica / fastest Node proxy (req/s)'], undefined);
});

test('ratios are folded per run: the median of the runs, with every run kept', () => {
  const folded = aggregateRatios([{ a: 0.6 }, { a: 0.8 }, { a: 0.7 }]);
  assert.deepEqual(folded, { ratios: { a: 0.7 }, ratioRuns: { a: [0.6, 0.8, 0.7] } });
});

test('markdown: a figure over several runs reads "median (min–max)", the aims say by how much one is missed', () => {
  assert.equal(cell({ min: 1, median: 2, max: 3 }, 1), '2.0 (1.0–3.0)');
  assert.equal(cell({ min: 2, median: 2, max: 2 }, 1), '2.0');
  const runs = [
    [scenario('raw-undici-proxy', loadOf(1000, 4)), scenario('portico-opaque-l1', loadOf(600, 8))],
    [scenario('raw-undici-proxy', loadOf(1000, 4)), scenario('portico-opaque-l1', loadOf(700, 8))],
    [scenario('raw-undici-proxy', loadOf(1000, 4)), scenario('portico-opaque-l1', loadOf(500, 8))],
  ];
  const perRun = runs.map(runRatios);
  const { ratios, ratioRuns } = aggregateRatios(perRun.map((r) => r.ratios));
  const report: Report = {
    startedAt: 'now',
    finishedAt: 'now',
    settings: { runs: 3 },
    machine: {},
    scenarios: aggregate(runs),
    ratios,
    ratioRuns,
    fastestNodeProxy: perRun.map((r) => r.fastestNodeProxy ?? null),
  };
  const md = toMarkdown(report);
  assert.match(md, /\| portico-opaque-l1 \| 600 \(500–700\) \|/);
  assert.match(md, /portico-opaque-l1 \/ fastest Node proxy \(req\/s\): 0\.600 \(0\.500–0\.700\)/);
  assert.match(md, /run 1 raw-undici-proxy, run 2 raw-undici-proxy, run 3 raw-undici-proxy/);
  // 0.6 against an aim of 0.8: 25% short
  assert.match(
    md,
    /raw-undici-proxy, req\/s \| 0\.600 \(0\.500–0\.700\) \| ≥ 0\.8 \| missed: median 25% below the aim \|/,
  );
  assert.match(
    md,
    /p99 \/ raw-undici-proxy p99 \(cached opaque token\) \| 2\.000 \| ≤ 1\.5 \| missed: median 33% above/,
  );
});
