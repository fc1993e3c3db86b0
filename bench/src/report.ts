/** Machine facts and the Markdown/JSON report of a benchmark run. */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './wrk.ts';

export interface ScenarioResult {
  name: string;
  description: string;
  load?: LoadResult;
  /** Extra numbers a scenario measures (tokens/s, revocation lag, …). */
  metrics?: Record<string, number>;
  rssBytes?: Record<string, number>;
  /** Why a scenario cannot run at all (a missing feature), reported as such. */
  unsupported?: string;
  error?: string;
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  scenarios: ScenarioResult[];
  ratios: Record<string, number>;
}

/** First line of a tool's version (nginx -v prints to stderr, wrk -v exits non-zero). */
function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim();
  return text.split('\n')[0]?.trim() || 'unknown';
}

export function machineFacts(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cpuCount: cpu.length,
    memoryTotalMiB: Math.round(totalmem() / 2 ** 20),
    memoryFreeMiB: Math.round(freemem() / 2 ** 20),
    kernel: release(),
    node: process.version,
    nginx: version('nginx', ['-v']),
    wrk: version('wrk', ['-v']).replace(/\s+Copyright.*/, ''),
  };
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '–' : n.toFixed(digits));

export function toMarkdown(report: Report): string {
  const lines = [
    `# Portico benchmark — ${report.startedAt}`,
    '',
    `Machine: ${String(report.machine['cpuCount'])} × ${String(report.machine['cpuModel'])}, ` +
      `${String(report.machine['memoryTotalMiB'])} MiB, Node ${String(report.machine['node'])}, ` +
      `${String(report.machine['nginx'])}, ${String(report.machine['wrk'])}.`,
    `Settings: ${JSON.stringify(report.settings)}`,
    '',
    '## HTTP load (wrk, loopback)',
    '',
    '| scenario | req/s | p50 ms | p75 ms | p90 ms | p99 ms | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of report.scenarios.filter((x) => x.load)) {
    const l = s.load!;
    lines.push(
      `| ${s.name} | ${fmt(l.requestsPerSecond, 0)} | ${fmt(l.latencyMs.p50, 3)} | ${fmt(l.latencyMs.p75, 3)} | ` +
        `${fmt(l.latencyMs.p90, 3)} | ${fmt(l.latencyMs.p99, 3)} | ${l.non2xx} | ${l.socketErrors} |`,
    );
  }
  const other = report.scenarios.filter((x) => x.metrics);
  if (other.length > 0) {
    lines.push('', '## Other measurements', '');
    for (const s of other) {
      lines.push(
        `- **${s.name}** (${s.description}): ${Object.entries(s.metrics!)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      );
    }
  }
  const mem = report.scenarios.filter((x) => x.rssBytes);
  if (mem.length > 0) {
    lines.push('', '## Resident memory after load', '');
    for (const s of mem) {
      lines.push(
        `- ${s.name}: ${Object.entries(s.rssBytes!)
          .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)} MiB`)
          .join(', ')}`,
      );
    }
  }
  if (Object.keys(report.ratios).length > 0) {
    lines.push('', '## Ratios', '');
    for (const [k, v] of Object.entries(report.ratios)) lines.push(`- ${k}: ${fmt(v, 3)}`);
  }
  const unsupported = report.scenarios.filter((x) => x.unsupported);
  if (unsupported.length > 0) {
    lines.push('', '## Not measurable (feature missing)', '');
    for (const s of unsupported) lines.push(`- ${s.name}: ${s.unsupported}`);
  }
  const failed = report.scenarios.filter((x) => x.error);
  if (failed.length > 0) {
    lines.push('', '## Scenarios that did not run', '');
    for (const s of failed) lines.push(`- ${s.name}: ${s.error}`);
  }
  lines.push('', 'Scenario descriptions:', '');
  for (const s of report.scenarios) lines.push(`- **${s.name}**: ${s.description}`);
  return `${lines.join('\n')}\n`;
}

export async function writeReport(dir: string, report: Report): Promise<{ md: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const md = join(dir, 'latest.md');
  const json = join(dir, 'latest.json');
  await writeFile(md, toMarkdown(report));
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { md, json };
}
