/**
 * The benchmark's CI smoke: `node bench/src/run.ts --smoke` with a short duration writes its
 * report with every scenario present and none failed. Speed is not asserted here (it belongs
 * to `make bench`); a feature the gateway lacks is listed as unsupported, not as an error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '@portico/testing';

const run = promisify(execFile);

const EXPECTED = [
  'direct',
  'raw-node-proxy',
  'raw-undici-proxy',
  'http-proxy-middleware',
  'nginx',
  'portico-auth-off',
  'portico-opaque-l1',
  'portico-opaque-redis',
  'portico-jwt',
  'key-manager-healthz',
  'key-manager-client-credentials',
  'key-manager-introspection',
  'portico-scale-1-replica',
  'portico-scale-2-replicas',
  'revocation-lag',
];

interface Scenario {
  name: string;
  load?: { requests: number; non2xx: number; socketErrors: number };
  metrics?: Record<string, number>;
  rssBytes?: Record<string, number>;
  unsupported?: string;
  error?: string;
}

// Longer than the suite's default: three baselines, a restart of both replicas for the scaling
// pair and a third replica for the revocation lag, on a machine the other tests keep busy.
test('bench smoke: every scenario runs and the report is written', { timeout: 420_000 }, async (t) => {
  const root = repoRoot();
  // wrk and nginx from Debian (a no-op once installed; `make test` does not install them otherwise)
  await run('bash', [join(root, 'scripts/setup-bench.sh')], { timeout: 170_000 });
  const out = await mkdtemp(join(root, '.portico', 'bench-smoke-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const { stderr } = await run(
    process.execPath,
    [
      join(root, 'bench/src/run.ts'),
      '--smoke',
      '--duration',
      '1',
      '--connections',
      '8',
      '--revocations',
      '3',
      '--out',
      out,
    ],
    { cwd: root, env: process.env, timeout: 240_000, maxBuffer: 8 * 2 ** 20 },
  ).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`bench smoke failed: ${err.message}\n${err.stderr ?? ''}`);
  });
  const report = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as {
    settings: { smoke: boolean };
    machine: Record<string, unknown>;
    scenarios: Scenario[];
    ratios: Record<string, number>;
  };
  const markdown = await readFile(join(out, 'latest.md'), 'utf8');
  assert.equal(report.settings.smoke, true);
  assert.ok(report.machine['cpuCount'], 'machine facts');
  assert.deepEqual(
    report.scenarios.map((s) => s.name),
    EXPECTED,
    stderr,
  );
  for (const s of report.scenarios) {
    assert.equal(s.error, undefined, `${s.name}: ${s.error}`);
    assert.match(markdown, new RegExp(`\\b${s.name}\\b`));
    if (s.unsupported) continue;
    if (s.name === 'revocation-lag') {
      assert.equal(s.metrics?.['lost'], 0, 'no revocation lost');
      assert.equal(s.metrics?.['revocations'], 3);
      assert.ok((s.metrics?.['gateway-3 p50 ms'] ?? 0) > 0, 'measured on three replicas');
      continue;
    }
    assert.ok((s.load?.requests ?? 0) > 0, `${s.name} sent requests`);
    assert.equal(s.load?.non2xx, 0, `${s.name}: every answer 2xx`);
    assert.ok(
      Object.values(s.rssBytes ?? {}).every((b) => b > 0),
      `${s.name}: resident memory measured`,
    );
  }
  assert.ok(
    report.ratios['portico-scale-2-replicas / portico-scale-1-replica (req/s)'],
    'the scaling ratio is reported',
  );
  assert.ok(report.ratios['portico-opaque-l1 / fastest Node proxy (req/s)'], 'the primary ratio is reported');
  const redis = report.scenarios.find((s) => s.name === 'portico-opaque-redis');
  assert.ok((redis?.metrics?.['l2-hit'] ?? 0) > 0, 'the Redis scenario really hits Redis');
});
