/**
 * `make bench`: baselines and Portico side by side, on loopback only, each bounded in time, the
 * whole sequence repeated BENCH_RUNS times (default 3) so every figure comes with its spread.
 * Servers are pinned to CPU 0 and the load generator to CPU 1 where the machine has two or more
 * CPUs (the scaling scenarios excepted: see placement.ts). Writes bench/results/latest.{md,json}
 * (or, with --smoke, a short single run to .portico/bench-smoke/ — what CI runs).
 *
 *   node bench/src/run.ts [--smoke] [--runs 3] [--duration 10] [--warmup 3] [--connections 32]
 *                         [--revocations 200] [--only a,b] [--out DIR]
 *
 * Each flag has an environment twin for `make bench`: BENCH_RUNS, BENCH_DURATION, BENCH_WARMUP,
 * BENCH_CONNECTIONS, BENCH_REVOCATIONS, BENCH_ONLY (the flag wins).
 * `--only` runs just the named scenarios (e.g. `--only raw-undici-proxy,portico-opaque-l1` while
 * tuning the gateway); a partial run writes to .portico/bench-only/ unless `--out` says otherwise.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, repoRoot } from '@portico/testing';
import { aggregate, aggregateRatios } from './aggregate.ts';
import { runPorticoScenarios } from './portico.ts';
import { runRatios } from './ratios.ts';
import type { Report, ScenarioResult } from './report.ts';
import { machineFacts, writeReport } from './report.ts';
import type { Running } from './servers.ts';
import { startNginx, startServer } from './servers.ts';
import { load } from './wrk.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string' },
    out: { type: 'string' },
    revocations: { type: 'string' },
    only: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
  },
});
const env = process.env;
const onlyList = values.only ?? env['BENCH_ONLY'];
const only = onlyList ? new Set(onlyList.split(',').map((s) => s.trim())) : undefined;
const wanted = (name: string) => !only || only.has(name);
const smoke = values.smoke ?? false;
/** A positive integer from a flag or its environment twin, or the default; anything else stops the run. */
function setting(flag: string | undefined, envName: string, fallback: number, min = 1): number {
  const raw = flag ?? env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${envName} / --${envName.slice(6).toLowerCase()}: ${raw} is not an integer >= ${min}`);
  return n;
}
const runs = setting(values.runs, 'BENCH_RUNS', smoke ? 1 : 3);
const durationSeconds = setting(values.duration, 'BENCH_DURATION', smoke ? 2 : 10);
const warmupSeconds = setting(values.warmup, 'BENCH_WARMUP', smoke ? 0 : 3, 0);
const connections = setting(values.connections, 'BENCH_CONNECTIONS', 32);
const revocations = setting(values.revocations, 'BENCH_REVOCATIONS', smoke ? 5 : 200);
const twoCpus = cpus().length >= 2;
const serverCpus = twoCpus ? '0' : undefined;
const loadCpus = twoCpus ? '1' : undefined;
const root = repoRoot();
const outDir =
  values.out ??
  (smoke
    ? join(root, '.portico', 'bench-smoke')
    : only
      ? join(root, '.portico', 'bench-only')
      : join(root, 'bench', 'results'));

const startedAt = new Date().toISOString();
const node = process.execPath;
const log = (line: string) => console.error(line);

/** One pass over every scenario: the baselines, then Portico on a stack of its own. */
async function oneRun(): Promise<ScenarioResult[]> {
  const scenarios: ScenarioResult[] = [];
  const running: Running[] = [];
  const measure = async (name: string, description: string, url: string, rss: Running[]) => {
    if (!wanted(name)) return;
    const placed = { url, connections, ...(loadCpus ? { cpus: loadCpus } : {}) };
    try {
      // the same warm-up as the Portico scenarios: JIT and keep-alive pools warm outside the measure
      if (warmupSeconds > 0) await load({ ...placed, durationSeconds: warmupSeconds });
      const result = await load({ ...placed, durationSeconds });
      const rssBytes: Record<string, number> = {};
      for (const r of rss) rssBytes[r.name] = await r.rssBytes();
      scenarios.push({ name, description, load: result, rssBytes });
      log(`${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50} ms`);
    } catch (err) {
      scenarios.push({ name, description, error: (err as Error).message });
      log(`${name}: failed: ${(err as Error).message}`);
    }
  };
  /** A minimal proxy (a script of bench/src taking <port> <upstream-url>), measured, then stopped. */
  const proxy = async (name: string, script: string, description: string, upstreamUrl: string) => {
    if (!wanted(name)) return;
    const port = await freePort();
    // (the node:http proxy's process keeps the name earlier reports gave it)
    const processName = name === 'raw-node-proxy' ? 'raw-proxy' : name;
    try {
      const server = await startServer(
        processName,
        node,
        [join(root, 'bench/src', script), String(port), upstreamUrl],
        {
          readyUrl: `http://127.0.0.1:${port}/healthz`,
          ...(serverCpus ? { cpus: serverCpus } : {}),
        },
      );
      running.push(server);
      await measure(name, description, `http://127.0.0.1:${port}${path}`, [server]);
      await server.stop();
    } catch (err) {
      scenarios.push({ name, description, error: (err as Error).message });
    }
  };
  const path = '/production/search.atom?q=cat';
  try {
    const upstreamPort = await freePort();
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const upstream = await startServer(
      'demo-upstream',
      node,
      [join(root, 'e2e/src/demo-upstream.ts'), String(upstreamPort)],
      { readyUrl: `${upstreamUrl}/healthz`, ...(serverCpus ? { cpus: serverCpus } : {}) },
    );
    running.push(upstream);
    await measure('direct', 'the demo upstream called directly (no proxy)', `${upstreamUrl}${path}`, [
      upstream,
    ]);
    await proxy(
      'raw-node-proxy',
      'raw-proxy.ts',
      'a minimal Node proxy on node:http (keep-alive agent, no checks)',
      upstreamUrl,
    );
    await proxy(
      'raw-undici-proxy',
      'undici-proxy.ts',
      "a minimal Node proxy on undici (the gateway's pool settings and agent.stream, no checks)",
      upstreamUrl,
    );
    await proxy(
      'http-proxy-middleware',
      'hpm-proxy.ts',
      'express 5 + http-proxy-middleware (keep-alive agent, no checks)',
      upstreamUrl,
    );
    if (wanted('nginx')) {
      const nginxPort = await freePort();
      const nginx = await startNginx(nginxPort, upstreamUrl, serverCpus);
      running.push(nginx);
      await measure(
        'nginx',
        'nginx proxy_pass with upstream keep-alive (1 worker)',
        `http://127.0.0.1:${nginxPort}${path}`,
        [nginx],
      );
      await nginx.stop();
    }
    await upstream.stop();

    if (
      !only ||
      [...only].some((n) => n.startsWith('portico-') || n.startsWith('key-manager') || n === 'revocation-lag')
    )
      scenarios.push(
        // a stack that does not start fails this run's Portico scenarios, not the other runs
        ...(await runPorticoScenarios({
          durationSeconds,
          connections,
          revocations,
          warmupSeconds,
          ...(only ? { only } : {}),
          ...(serverCpus ? { serverCpus } : {}),
          ...(loadCpus ? { loadCpus } : {}),
          log,
        }).catch((err: Error): ScenarioResult[] => [
          { name: 'portico', description: 'Portico scenarios', error: `stack: ${err.message}` },
        ])),
      );
  } finally {
    await Promise.all(running.map((r) => r.stop().catch(() => undefined)));
  }
  return scenarios;
}

const perRun: ScenarioResult[][] = [];
const perRunRatios: ReturnType<typeof runRatios>[] = [];
for (let i = 1; i <= runs; i += 1) {
  log(`--- run ${i} of ${runs} (${new Date().toISOString()})`);
  const scenarios = await oneRun();
  perRun.push(scenarios);
  perRunRatios.push(runRatios(scenarios));
}
const { ratios, ratioRuns } = aggregateRatios(perRunRatios.map((r) => r.ratios));
const scenarios = aggregate(perRun);
const report: Report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  settings: {
    smoke,
    runs,
    durationSeconds,
    warmupSeconds,
    connections,
    revocations,
    serverCpus: serverCpus ?? 'any',
    loadCpus: loadCpus ?? 'any',
  },
  machine: machineFacts(),
  scenarios,
  ratios,
  ratioRuns,
  fastestNodeProxy: perRunRatios.map((r) => r.fastestNodeProxy ?? null),
};
const files = await writeReport(outDir, report);
log(
  `report: ${files.md} (${((Date.parse(report.finishedAt) - Date.parse(startedAt)) / 60_000).toFixed(1)} min)`,
);
if (scenarios.some((s) => s.error)) process.exitCode = 1;
