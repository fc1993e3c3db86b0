/**
 * Real service processes for acceptance tests: gateway replicas and the key-manager, each
 * `node services/<svc>/src/main.ts` with its env, logs in a temp file, stop (SIGTERM) and start
 * again on the same ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, waitFor } from '@portico/testing';

export interface ServiceProcess {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly running: boolean;
  /** Exit code of the last run (null while running or when killed by a signal). */
  readonly exitCode: number | null;
  start(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
  dispose(): Promise<void>;
}

export async function serviceProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  isReady: () => Promise<boolean>,
): Promise<ServiceProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), `portico-${name}-`));
  const logFile = path.join(dir, `${name}.log`);
  let child: ChildProcess | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const tail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async () => {
    const proc = child;
    if (!proc || !alive()) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const handle: ServiceProcess = {
    name,
    env,
    get running() {
      return alive();
    },
    get exitCode() {
      return child?.exitCode ?? null;
    },
    async start() {
      if (alive()) return;
      const fd = openSync(logFile, 'a');
      const proc = spawn(process.execPath, [path.join(repoRoot(), script)], {
        cwd: repoRoot(),
        env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      child = proc;
      process.once('exit', () => proc.kill('SIGKILL'));
      await waitFor(
        async () => {
          if (!alive()) throw new Error(`${name} exited: ${tail(10)}`);
          return isReady();
        },
        { timeoutMs: 60_000, intervalMs: 100, message: `${name} not ready` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- ${logFile} ---\n${tail()}`);
      });
    },
    stop,
    logTail: tail,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

export interface GatewayReplica extends ServiceProcess {
  url: string;
  adminUrl: string;
}

export async function gatewayReplica(
  name: string,
  ports: { port: number; adminPort: number },
  env: Record<string, string>,
): Promise<GatewayReplica> {
  const url = `http://127.0.0.1:${ports.port}`;
  const adminUrl = `http://127.0.0.1:${ports.adminPort}`;
  const proc = await serviceProcess(
    name,
    'services/gateway/src/main.ts',
    { ...env, PORT: String(ports.port), ADMIN_PORT: String(ports.adminPort), GATEWAY_REPLICA_ID: name },
    () => httpOk(`${adminUrl}/readyz`),
  );
  return Object.assign(proc, { url, adminUrl });
}

export interface KeyManagerProcess extends ServiceProcess {
  issuer: string;
  adminUrl: string;
  /** POST (or GET without a body) on the admin API with the admin token; throws on >= 300. */
  admin(pathname: string, body?: unknown): Promise<Record<string, unknown>>;
}

/**
 * The real key-manager as a process on the given ports, against the shared MongoDB (its own
 * database) and Kafka (the test's topic prefix). `env` adds or overrides settings.
 */
export async function keyManagerProcess(options: {
  ports: { port: number; adminPort: number };
  mongoUrl: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  adminToken: string;
  gatewaySecret: string;
  env?: Record<string, string>;
}): Promise<KeyManagerProcess> {
  const issuer = `http://127.0.0.1:${options.ports.port}`;
  const adminUrl = `http://127.0.0.1:${options.ports.adminPort}`;
  const proc = await serviceProcess(
    'key-manager',
    'services/key-manager/src/main.ts',
    {
      NODE_ENV: 'test',
      PORT: String(options.ports.port),
      ADMIN_PORT: String(options.ports.adminPort),
      ISSUER: issuer,
      MONGO_URL: options.mongoUrl,
      MONGO_DB: `km_${options.topicPrefix.replace(/[^a-zA-Z0-9]/g, '_')}`,
      KAFKA_BROKERS: options.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: options.topicPrefix,
      KEY_MANAGER_ADMIN_TOKEN: options.adminToken,
      TOKEN_HASH_KEY: randomBytes(32).toString('hex'),
      GATEWAY_CLIENT_SECRET: options.gatewaySecret,
      OUTBOX_POLL_MS: '200',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    () => httpOk(`${issuer}/.well-known/openid-configuration`),
  );
  const admin = async (pathname: string, body?: unknown) => {
    const res = await fetch(`${adminUrl}${pathname}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return Object.assign(proc, { issuer, adminUrl, admin });
}
