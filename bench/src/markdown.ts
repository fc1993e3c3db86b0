/**
 * bench/results/latest.md: every figure as `median (min–max)` over the runs of the report, the
 * primary ratio (the gateway against the fastest minimal Node proxy of each run) first, then
 * the project's performance aims checked against the medians.
 */
import type { Spread } from './aggregate.ts';
import { spread } from './aggregate.ts';
import { GATEWAY_SCENARIOS } from './ratios.ts';
import type { Report, RunValues, ScenarioResult } from './report.ts';
import type { LoadResult } from './wrk.ts';

const fmt = (n: number | undefined, digits = 2) =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);

/** `median (min–max)`, or the single value when the runs agree or there was one. */
export function cell(s: Spread | undefined, digits = 2): string {
  if (!s) return '–';
  if (fmt(s.min, digits) === fmt(s.max, digits)) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

const runsOf = (s: ScenarioResult): RunValues[] => s.runs ?? [s];
const loadSpread = (s: ScenarioResult, pick: (l: LoadResult) => number) =>
  spread(runsOf(s).flatMap((r) => (r.load ? [pick(r.load)] : [])));
const recordSpread = (s: ScenarioResult, field: 'metrics' | 'rssBytes', key: string) =>
  spread(runsOf(s).flatMap((r) => (r[field]?.[key] !== undefined ? [r[field]![key]!] : [])));
const mib = (s: Spread | undefined) =>
  s && { min: s.min / 2 ** 20, median: s.median / 2 ** 20, max: s.max / 2 ** 20 };

interface Aim {
  what: string;
  value: Spread | undefined;
  target: number;
  atLeast: boolean;
  digits: number;
  /** Why it cannot be checked when value is undefined. */
  missing?: string;
}

function aims(report: Report): Aim[] {
  const ratio = (key: string) => spread(report.ratioRuns?.[key] ?? []);
  const scenario = (name: string) => report.scenarios.find((s) => s.name === name);
  const rps = (name: string) => {
    const s = scenario(name);
    return s ? loadSpread(s, (l) => l.requestsPerSecond) : undefined;
  };
  // the replica each gateway scenario loads is gateway-2; the highest of their medians
  const gatewayRss = GATEWAY_SCENARIOS.flatMap((n) => {
    const s = scenario(n);
    const r = s && mib(recordSpread(s, 'rssBytes', 'gateway-2'));
    return r ? [r] : [];
  }).sort((a, b) => b.median - a.median)[0];
  const authOff = scenario('portico-auth-off');
  return [
    {
      what: 'gateway (cached opaque token) / raw-undici-proxy, req/s',
      value: ratio('portico-opaque-l1 / raw-undici-proxy (req/s)'),
      target: 0.8,
      atLeast: true,
      digits: 3,
    },
    {
      what: 'gateway auth on / auth off, req/s',
      value: ratio('portico-opaque-l1 / portico-auth-off (req/s)'),
      target: 0.92,
      atLeast: true,
      digits: 3,
      ...(authOff?.unsupported ? { missing: `portico-auth-off: ${authOff.unsupported}` } : {}),
    },
    {
      what: 'gateway p99 / raw-undici-proxy p99 (cached opaque token)',
      value: ratio('portico-opaque-l1 p99 / raw-undici-proxy p99'),
      target: 1.5,
      atLeast: false,
      digits: 3,
    },
    {
      what: 'gateway replica resident memory under load, MiB (highest of the gateway scenarios)',
      value: gatewayRss,
      target: 150,
      atLeast: false,
      digits: 1,
    },
    {
      what: 'key-manager introspections/s',
      value: rps('key-manager-introspection'),
      target: 5000,
      atLeast: true,
      digits: 0,
    },
    {
      what: 'key-manager client_credentials tokens/s',
      value: rps('key-manager-client-credentials'),
      target: 2500,
      atLeast: true,
      digits: 0,
    },
  ];
}

function verdict(a: Aim): string {
  if (!a.value) return `not measured${a.missing ? ` (${a.missing})` : ''}`;
  const v = a.value.median;
  const met = a.atLeast ? v >= a.target : v <= a.target;
  if (met) return 'met';
  const off = (Math.abs(v - a.target) / a.target) * 100;
  return `missed: median ${off.toFixed(0)}% ${a.atLeast ? 'below' : 'above'} the aim`;
}

export function toMarkdown(report: Report): string {
  const runs = Number(report.settings['runs'] ?? 1);
  const lines = [
    `# Portico benchmark — ${report.startedAt}`,
    '',
    `Machine: ${String(report.machine['cpuCount'])} × ${String(report.machine['cpuModel'])}, ` +
      `${String(report.machine['memoryTotalMiB'])} MiB, Node ${String(report.machine['node'])}, ` +
      `${String(report.machine['nginx'])}, ${String(report.machine['wrk'])}.`,
    `Settings: ${JSON.stringify(report.settings)}`,
    '',
    runs > 1
      ? `Every figure is the median of ${runs} runs with the lowest and highest run in parentheses, ` +
        'as `median (min–max)`. Ratios are computed inside each run, then folded the same way.'
      : 'One run: single values, no spread.',
  ];

  const fastest = report.fastestNodeProxy ?? [];
  const primary = Object.keys(report.ratioRuns ?? {}).filter(
    (k) => k.startsWith('portico-') && k.endsWith('/ fastest Node proxy (req/s)'),
  );
  if (primary.length > 0) {
    lines.push(
      '',
      '## Primary ratio: the gateway against the fastest minimal Node proxy of the run',
      '',
      `Fastest minimal Node proxy per run: ${fastest.map((f, i) => `run ${i + 1} ${f ?? '–'}`).join(', ')}.`,
      '',
    );
    for (const k of primary) lines.push(`- ${k}: ${cell(spread(report.ratioRuns![k]!), 3)}`);
  }

  lines.push('', '## Performance aims', '', '| aim | measured | target | verdict |', '|---|---:|---:|---|');
  for (const a of aims(report))
    lines.push(
      `| ${a.what} | ${cell(a.value, a.digits)} | ${a.atLeast ? '≥' : '≤'} ${a.target} | ${verdict(a)} |`,
    );

  lines.push(
    '',
    '## HTTP load (wrk, loopback)',
    '',
    '| scenario | req/s | p50 ms | p75 ms | p90 ms | p99 ms | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of report.scenarios.filter((x) => x.load)) {
    const l = s.load!;
    lines.push(
      `| ${s.name} | ${cell(
        loadSpread(s, (x) => x.requestsPerSecond),
        0,
      )} | ` +
        `${cell(
          loadSpread(s, (x) => x.latencyMs.p50),
          3,
        )} | ${cell(
          loadSpread(s, (x) => x.latencyMs.p75),
          3,
        )} | ` +
        `${cell(
          loadSpread(s, (x) => x.latencyMs.p90),
          3,
        )} | ${cell(
          loadSpread(s, (x) => x.latencyMs.p99),
          3,
        )} | ` +
        `${l.non2xx} | ${l.socketErrors} |`,
    );
  }

  const scale = Object.keys(report.ratioRuns ?? {}).find((k) => k.startsWith('portico-scale-2-replicas /'));
  if (scale) {
    lines.push(
      '',
      '## Scaling',
      '',
      `- ${scale}: ${cell(spread(report.ratioRuns![scale]!), 3)}`,
      '',
      'The same load (one wrk, two threads, the same connections) on one replica (both threads on it) ' +
        'and on two (one thread each). Nothing is pinned in these two scenarios: with two CPUs, the ' +
        'replicas, the demo upstream and the load generator all share the machine, so two replicas ' +
        'cannot reach twice one replica here; the ratio shows what a second replica adds on this ' +
        'machine, not what it adds on a node of its own.',
    );
  }

  const other = report.scenarios.filter((x) => x.metrics);
  if (other.length > 0) {
    lines.push('', '## Other measurements', '');
    for (const s of other) {
      const keys = Object.keys(s.metrics!);
      lines.push(
        `- **${s.name}** (${s.description}): ${keys.map((k) => `${k} ${cell(recordSpread(s, 'metrics', k))}`).join(', ')}`,
      );
    }
  }
  const mem = report.scenarios.filter((x) => x.rssBytes);
  if (mem.length > 0) {
    lines.push('', '## Resident memory (MiB; Portico scenarios: sampled in the middle of the load)', '');
    for (const s of mem) {
      const keys = Object.keys(s.rssBytes!);
      lines.push(
        `- ${s.name}: ${keys.map((k) => `${k} ${cell(mib(recordSpread(s, 'rssBytes', k)), 1)}`).join(', ')}`,
      );
    }
  }
  const ratioKeys = Object.keys(report.ratioRuns ?? report.ratios);
  if (ratioKeys.length > 0) {
    lines.push('', '## Ratios (each computed inside a run)', '');
    for (const k of ratioKeys)
      lines.push(`- ${k}: ${cell(spread(report.ratioRuns?.[k] ?? [report.ratios[k]!]), 3)}`);
  }
  const unsupported = report.scenarios.filter((x) => x.unsupported);
  if (unsupported.length > 0) {
    lines.push('', '## Not measurable (feature missing)', '');
    for (const s of unsupported) lines.push(`- ${s.name}: ${s.unsupported}`);
  }
  const failed = report.scenarios.filter((x) => x.error);
  if (failed.length > 0) {
    lines.push('', '## Scenarios that did not run (in every run or in some)', '');
    for (const s of failed) lines.push(`- ${s.name}: ${s.error}`);
  }
  lines.push('', 'Scenario descriptions:', '');
  for (const s of report.scenarios) lines.push(`- **${s.name}**: ${s.description}`);
  return `${lines.join('\n')}\n`;
}
