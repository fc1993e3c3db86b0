/** Machine facts and the Markdown/JSON report of a benchmark run. */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { toMarkdown } from './markdown.ts';
import type { LoadResult } from './wrk.ts';

/** What one run measured for a scenario (`runs` of an aggregated scenario). */
export interface RunValues {
  load?: LoadResult;
  metrics?: Record<string, number>;
  rssBytes?: Record<string, number>;
  error?: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  /** In an aggregated report: the median of the runs (failure counts: the worst run). */
  load?: LoadResult;
  /** Extra numbers a scenario measures (tokens/s, revocation lag, …). */
  metrics?: Record<string, number>;
  rssBytes?: Record<string, number>;
  /** Why a scenario cannot run at all (a missing feature), reported as such. */
  unsupported?: string;
  error?: string;
  /** Every run's own values, in run order (aggregated reports only). */
  runs?: RunValues[];
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  scenarios: ScenarioResult[];
  /** The median over the runs of each run's own ratio. */
  ratios: Record<string, number>;
  /** Each ratio per run, in run order. */
  ratioRuns?: Record<string, number[]>;
  /** The fastest minimal Node proxy of each run (null: none measured). */
  fastestNodeProxy?: (string | null)[];
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

export async function writeReport(dir: string, report: Report): Promise<{ md: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const md = join(dir, 'latest.md');
  const json = join(dir, 'latest.json');
  await writeFile(md, toMarkdown(report));
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { md, json };
}
