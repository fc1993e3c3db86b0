/** Starts the processes a benchmark measures, pinned to the server CPUs, and stops them. */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@portico/testing';

export interface Running {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
  /** Resident set size in bytes, read from /proc. */
  rssBytes(): Promise<number>;
}

export async function rssOf(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

export async function startServer(
  name: string,
  command: string,
  args: string[],
  options: { readyUrl: string; cpus?: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Running> {
  const [cmd, cmdArgs] = options.cpus ? ['taskset', ['-c', options.cpus, command, ...args]] : [command, args];
  const child = spawn(cmd, cmdArgs, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
      const res = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 200, message: `${name} not ready at ${options.readyUrl}` },
  );
  return {
    name,
    child,
    rssBytes: () => rssOf(child.pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** nginx (Debian) as a plain `proxy_pass` with upstream keep-alive. */
export async function startNginx(port: number, upstream: string, cpus?: string): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-nginx-'));
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream demo { server ${new URL(upstream).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const running = await startServer(
    'nginx',
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    {
      readyUrl: `http://127.0.0.1:${port}/healthz`,
      ...(cpus ? { cpus } : {}),
    },
  );
  return {
    ...running,
    async stop() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
