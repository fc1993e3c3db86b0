/** Runs wrk (Debian's package) against loopback and parses its --latency output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  requestsPerSecond: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
  requests: number;
  non2xx: number;
  socketErrors: number;
}

export interface LoadOptions {
  url: string;
  durationSeconds: number;
  connections: number;
  threads?: number;
  headers?: Record<string, string>;
  /** CPU list for taskset, keeping the load generator apart from the servers. */
  cpus?: string;
  /** A wrk Lua script (POST bodies, rotating tokens). */
  script?: string;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) throw new Error(`cannot parse wrk latency ${value}`);
  const n = Number(m[1]);
  const unit = m[2];
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

export function parseWrk(output: string): LoadResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output);
    if (!m?.[1]) throw new Error(`wrk output has no ${p}% line:\n${output}`);
    return toMs(m[1]);
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in/m.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rps?.[1] ?? 0),
    latencyMs: { p50: pct('50'), p75: pct('75'), p90: pct('90'), p99: pct('99') },
    requests: Number(total?.[1] ?? 0),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((s, v) => s + Number(v), 0) : 0,
  };
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`load tests only target loopback, not ${target.hostname}`);
  }
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.script) args.push('-s', options.script);
  args.push(options.url);
  const [cmd, cmdArgs] = options.cpus ? ['taskset', ['-c', options.cpus, 'wrk', ...args]] : ['wrk', args];
  const { stdout } = await run(cmd, cmdArgs, { timeout: (options.durationSeconds + 30) * 1000 });
  return parseWrk(stdout);
}
