/**
 * The chart's PrometheusRule, proven with Prometheus' own `promtool` (built into .tools/bin by
 * scripts/setup-deploy-tools.sh): the rendered rules load, and the unit tests in alert-rules/
 * (synthetic series in, expected alerts out) pass against them. The dashboard ConfigMap is
 * checked here too: valid JSON, sidecar label, and only metrics the services export.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { K8sObject } from './lib/tools.ts';
import { byKind, ROOT, renderChart, renderScenario, TOOLS } from './lib/tools.ts';

const run = promisify(execFile);
const TESTS_DIR = join(ROOT, 'helm/test/alert-rules');
const dirs: string[] = [];

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function promtoolPath(): string {
  const bin = join(TOOLS, 'bin', 'promtool');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/setup-deploy-tools.sh`);
  return bin;
}

async function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(promtoolPath(), args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The PrometheusRule's groups as a Prometheus rule file, beside copies of the promtool tests. */
async function workspace(rule: K8sObject): Promise<{ dir: string; tests: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-rules-'));
  dirs.push(dir);
  await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
  const tests = (await readdir(TESTS_DIR)).filter((f) => f.endsWith('.test.yaml')).sort();
  for (const f of tests) await copyFile(join(TESTS_DIR, f), join(dir, f));
  return { dir, tests };
}

async function renderedRule(sets: string[] = []): Promise<K8sObject> {
  const objects = await renderChart(
    ['--set', 'metrics.prometheusRule.enabled=true', ...sets.flatMap((s) => ['--set', s])],
    'portico',
  );
  const rules = byKind(objects, 'PrometheusRule');
  assert.equal(rules.length, 1);
  return rules[0] as K8sObject;
}

describe('alert rules (promtool)', () => {
  test('the rendered rules load in Prometheus (promtool check rules)', async () => {
    const { dir } = await workspace(await renderedRule());
    const result = await promtool(['check', 'rules', 'rules.yaml'], dir);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS: \d+ rules found/);
  });

  test('promtool test rules: revocation lag fires above the bound and not below, and the other alerts as specified', async () => {
    const { dir, tests } = await workspace(await renderedRule());
    assert.ok(tests.includes('revocation.test.yaml'));
    const result = await promtool(['test', 'rules', ...tests], dir);
    assert.equal(result.code, 0, result.output);
  });

  test('the revocation-lag bound comes from values: with a 5 s bound the slow replica no longer fires', async () => {
    const { dir } = await workspace(await renderedRule(['metrics.prometheusRule.revocationLagSeconds=5']));
    const result = await promtool(['test', 'rules', 'revocation.test.yaml'], dir);
    assert.notEqual(result.code, 0, 'the 1 s expectations must fail against a 5 s bound');
    assert.match(result.output, /PorticoRevocationLagHigh/);
  });

  test('no PrometheusRule or dashboard unless enabled', async () => {
    const objects = await renderChart([]);
    assert.equal(byKind(objects, 'PrometheusRule').length, 0);
    assert.equal(
      objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'portico-dashboard').length,
      0,
    );
  });
});

describe('Grafana dashboard ConfigMap', () => {
  test('carries the sidecar label and a dashboard of metrics the services export', async () => {
    const objects = await renderScenario('servicemonitor');
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'portico-dashboard');
    assert.ok(cm, 'dashboard ConfigMap rendered in the servicemonitor scenario');
    assert.equal(cm.metadata.labels?.['grafana_dashboard'], '1');
    const dashboard = JSON.parse(cm.data['portico.json']) as {
      uid: string;
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
    };
    assert.equal(dashboard.uid, 'portico-overview');
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    // Every metric a query names is registered somewhere in the services' sources.
    const sources = await Promise.all(
      [
        'services/gateway/src/metrics.ts',
        'services/gateway/src/analytics/metrics.ts',
        'services/key-manager/src/oidc/hooks.ts',
        'services/key-manager/src/outbox/relay.ts',
        'services/store/src/store.ts',
      ]
        .filter((f) => existsSync(join(ROOT, f)))
        .map((f) => readFile(join(ROOT, f), 'utf8')),
    );
    const exported = new Set(sources.join('\n').match(/(?<=name: ')[a-z_]+(?=')/g) ?? []);
    for (const expr of exprs) {
      for (const metric of expr.match(/\b(gateway|keymanager|store)_[a-z_]+/g) ?? []) {
        const base = metric.replace(/_(bucket|sum|count)$/, '');
        assert.ok(exported.has(base), `${metric} in "${expr}" is not exported by any service`);
      }
    }
  });
});
