/**
 * `make bench`: baselines and Portico side by side in one run, on loopback only, each bounded
 * in time. Servers are pinned to CPU 0 and the load generator to CPU 1 where the machine has
 * two or more CPUs. Writes bench/results/latest.{md,json} (or, with --smoke, a short run to
 * .portico/bench-smoke/ — what CI runs).
 *
 *   node bench/src/run.ts [--smoke] [--duration 10] [--connections 32] [--only a,b]
 *
 * `--only` runs just the named scenarios (e.g. `--only raw-node-proxy,portico-opaque-l1` while
 * tuning the gateway); a partial run writes to .portico/bench-only/ unless `--out` says otherwise.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, repoRoot } from '@portico/testing';
import { runPorticoScenarios } from './portico.ts';
import type { Report, ScenarioResult } from './report.ts';
import { machineFacts, writeReport } from './report.ts';
import type { Running } from './servers.ts';
import { startNginx, startServer } from './servers.ts';
import { load } from './wrk.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string', default: '32' },
    out: { type: 'string' },
    revocations: { type: 'string' },
    only: { type: 'string' },
  },
});
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const wanted = (name: string) => !only || only.has(name);
const smoke = values.smoke ?? false;
const durationSeconds = Number(values.duration ?? (smoke ? 2 : 10));
const connections = Number(values.connections);
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
const scenarios: ScenarioResult[] = [];
const running: Running[] = [];
const node = process.execPath;

async function measure(
  name: string,
  description: string,
  url: string,
  headers: Record<string, string> = {},
  rss: Running[] = [],
) {
  if (!wanted(name)) return;
  try {
    const result = await load({
      url,
      durationSeconds,
      connections,
      headers,
      ...(loadCpus ? { cpus: loadCpus } : {}),
    });
    const rssBytes: Record<string, number> = {};
    for (const r of rss) rssBytes[r.name] = await r.rssBytes();
    scenarios.push({ name, description, load: result, ...(rss.length > 0 ? { rssBytes } : {}) });
    console.error(`${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50} ms`);
  } catch (err) {
    scenarios.push({ name, description, error: (err as Error).message });
    console.error(`${name}: failed: ${(err as Error).message}`);
  }
}

try {
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const upstream = await startServer(
    'demo-upstream',
    node,
    [join(root, 'e2e/src/demo-upstream.ts'), String(upstreamPort)],
    {
      readyUrl: `${upstreamUrl}/healthz`,
      ...(serverCpus ? { cpus: serverCpus } : {}),
    },
  );
  running.push(upstream);
  const path = '/production/search.atom?q=cat';
  await measure('direct', 'the demo upstream called directly (no proxy)', `${upstreamUrl}${path}`, {}, [
    upstream,
  ]);

  if (wanted('raw-node-proxy')) {
    const rawPort = await freePort();
    const raw = await startServer(
      'raw-proxy',
      node,
      [join(root, 'bench/src/raw-proxy.ts'), String(rawPort), upstreamUrl],
      {
        readyUrl: `http://127.0.0.1:${rawPort}/healthz`,
        ...(serverCpus ? { cpus: serverCpus } : {}),
      },
    );
    running.push(raw);
    await measure(
      'raw-node-proxy',
      'a minimal Node http proxy (keep-alive, no checks)',
      `http://127.0.0.1:${rawPort}${path}`,
      {},
      [raw],
    );
    await raw.stop();
  }

  if (wanted('nginx')) {
    const nginxPort = await freePort();
    const nginx = await startNginx(nginxPort, upstreamUrl, serverCpus);
    running.push(nginx);
    await measure(
      'nginx',
      'nginx proxy_pass with upstream keep-alive (1 worker)',
      `http://127.0.0.1:${nginxPort}${path}`,
      {},
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
      ...(await runPorticoScenarios({
        durationSeconds,
        connections,
        revocations: Number(values.revocations ?? (smoke ? 5 : 200)),
        warmupSeconds: smoke ? 0 : 3,
        ...(only ? { only } : {}),
        ...(serverCpus ? { serverCpus } : {}),
        ...(loadCpus ? { loadCpus } : {}),
        log: (line) => console.error(line),
      })),
    );
} finally {
  await Promise.all(running.map((r) => r.stop().catch(() => undefined)));
}

const byName = (name: string) => scenarios.find((s) => s.name === name)?.load;
const ratios: Record<string, number> = {};
const raw = byName('raw-node-proxy');
const ngx = byName('nginx');
for (const s of scenarios) {
  if (!s.load || !(s.name === 'nginx' || s.name.startsWith('portico-'))) continue;
  if (raw) {
    ratios[`${s.name} / raw-node-proxy (req/s)`] = s.load.requestsPerSecond / raw.requestsPerSecond;
    ratios[`${s.name} - raw-node-proxy (added p50 ms)`] = s.load.latencyMs.p50 - raw.latencyMs.p50;
  }
  if (ngx && s.name !== 'nginx')
    ratios[`${s.name} / nginx (req/s)`] = s.load.requestsPerSecond / ngx.requestsPerSecond;
}
const direct = byName('direct');
if (direct && byName('portico-opaque-l1'))
  ratios['portico-opaque-l1 - direct (added p50 ms)'] =
    byName('portico-opaque-l1')!.latencyMs.p50 - direct.latencyMs.p50;
const report: Report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  settings: {
    smoke,
    durationSeconds,
    connections,
    serverCpus: serverCpus ?? 'any',
    loadCpus: loadCpus ?? 'any',
  },
  machine: machineFacts(),
  scenarios,
  ratios,
};
const files = await writeReport(outDir, report);
console.error(`report: ${files.md}`);
const failed = scenarios.filter((s) => s.error);
if (failed.length > 0) process.exitCode = 1;
