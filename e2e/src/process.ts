/**
 * Starts a Portico service as a real child process (`node src/main.ts`), the way `make up`
 * and Kubernetes run it, and waits for it to answer.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@portico/testing';

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startService(
  name: 'store' | 'key-manager' | 'gateway',
  env: Record<string, string>,
): ServiceProcess {
  const cwd = join(repoRoot(), 'services', name);
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export async function exitOf(p: ServiceProcess, timeoutMs = 15_000): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(p.child, 'exit')) as [number | null];
  clearTimeout(timer);
  return code;
}

export async function waitForStatus(url: string, status: number, timeoutMs = 30_000): Promise<Response> {
  return waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      return res.status === status ? res : undefined;
    },
    { timeoutMs, intervalMs: 200, message: `${url} did not answer ${status}` },
  );
}
