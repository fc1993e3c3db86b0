/**
 * A whole Portico stack for end-to-end tests, started by the same scripts as `make up`
 * (scripts/services.sh, then scripts/seed-demo.sh) but isolated: its own PORTICO_RUN directory
 * (secrets, logs, pids), a PORTICO_STACK name (databases, Kafka topics, Redis keys) and a port
 * offset. Infrastructure is the shared one unless `infra` names private instances (fault tests).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, sharedInfra, uniqueName } from '@portico/testing';
import { MongoClient } from 'mongodb';

const run = promisify(execFile);

export type StackService =
  | 'demo-upstream'
  | 'key-manager'
  | 'store'
  | 'gateway-1'
  | 'gateway-2'
  // PORTICO_REPLICAS=2 (scripts/services.sh): the second replicas and their load balancer
  | 'key-manager-2'
  | 'store-2'
  | 'lb'
  // PORTICO_GATEWAYS=3
  | 'gateway-3';

export interface Stack {
  name: string;
  runDir: string;
  /** PORTICO_* lines of `services.sh env` and of the demo seeding (the demo.env of this stack). */
  env: Record<string, string>;
  /** The generated secrets.env of this stack (admin token, demo passwords, ...). */
  secrets: Record<string, string>;
  gateways: string[];
  gatewayAdmins: string[];
  keyManagerUrl: string;
  keyManagerAdminUrl: string;
  storeUrl: string;
  start(...names: StackService[]): Promise<void>;
  /** Starts services with extra settings for this start only (e.g. one replica configured differently). */
  startWith(env: Record<string, string>, ...names: StackService[]): Promise<void>;
  /** The pid of a running service (its pid file), for /proc measurements. */
  pid(name: StackService): number | undefined;
  stop(...names: StackService[]): Promise<void>;
  /** Runs scripts/seed-demo.sh again (it is idempotent) and returns its lines. */
  seed(): Promise<Record<string, string>>;
  logTail(name: StackService, lines?: number): string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Private infrastructure (fault tests); default: the shared instances. */
  infra?: { kafkaBrokers?: string; redisUrl?: string; mongoUrl?: string };
  /** Extra service settings (config variables), passed through services.sh to every service. */
  env?: Record<string, string>;
  /** CPU list (taskset) for every service of the stack: benchmarks keep the load generator apart. */
  cpus?: string;
}

function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? '').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** An offset (multiple of 100, 3000-19900) whose ports nobody is listening on. */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const offset = 3000 + 100 * Math.floor(Math.random() * 170);
    const ports = [8080, 8180, 9080, 9180, 8081, 8091, 8082, 9082, 8085].map((p) => p + offset);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return offset;
  }
  throw new Error('no free port offset found');
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = repoRoot();
  const name = uniqueName('e2e').replace(/[^a-zA-Z0-9_]/g, '_');
  const runDir = join(root, '.portico', 'e2e', name);
  await mkdir(runDir, { recursive: true });
  const offset = await freeOffset();
  const shared = sharedInfra();
  const infra = {
    MONGO_URL: options.infra?.mongoUrl ?? shared.mongoUrl,
    KAFKA_BROKERS: options.infra?.kafkaBrokers ?? shared.kafkaBrokers.join(','),
    REDIS_URL: options.infra?.redisUrl ?? shared.redisUrl,
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    PORTICO_RUN: runDir,
    PORTICO_STACK: name,
    PORTICO_PORT_OFFSET: String(offset),
    LOG_LEVEL: process.env['PORTICO_TEST_LOGS'] === '1' ? 'debug' : 'info',
    ...infra,
    ...options.env,
  };
  const script = (file: string, args: string[], timeoutMs = 150_000, extra: Record<string, string> = {}) => {
    const path = join(root, 'scripts', file);
    // CPU affinity is inherited: the services started by the script run on these CPUs.
    const [cmd, cmdArgs] = options.cpus ? ['taskset', ['-c', options.cpus, path, ...args]] : [path, args];
    return run(cmd, cmdArgs, { env: { ...env, ...extra }, timeout: timeoutMs, maxBuffer: 4 * 2 ** 20 });
  };

  const urls = parseEnvLines((await script('services.sh', ['env'])).stdout);
  const logTail = (svc: StackService, lines = 40) => {
    try {
      return readFileSync(join(runDir, 'logs', `${svc}.log`), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  };
  const startWith = async (extra: Record<string, string>, ...names: StackService[]) => {
    try {
      await script('services.sh', ['start', ...names], 150_000, extra);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`services.sh start ${names.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  };
  const start = (...names: StackService[]) => startWith({}, ...names);
  const pid = (svc: StackService) => {
    try {
      return Number(readFileSync(join(runDir, 'pids', `svc-${svc}.pid`), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const stop = async (...names: StackService[]) => {
    await script('services.sh', ['stop', ...names]);
  };
  const close = async () => {
    await stop().catch(() => undefined);
    const mongo = new MongoClient(infra.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
    try {
      await mongo.connect();
      await mongo.db(`${name}_key_manager`).dropDatabase();
      await mongo.db(`${name}_store`).dropDatabase();
    } catch {
      // private infrastructure may already be gone
    } finally {
      await mongo.close();
    }
    if (process.env['PORTICO_KEEP_E2E_RUN'] !== '1') await rm(runDir, { recursive: true, force: true });
  };

  const stack: Stack = {
    name,
    runDir,
    env: urls,
    secrets: {},
    gateways: (urls['PORTICO_GATEWAY_URLS'] ?? '').split(','),
    gatewayAdmins: (urls['PORTICO_GATEWAY_ADMIN_URLS'] ?? '').split(','),
    keyManagerUrl: urls['PORTICO_KEY_MANAGER_URL'] ?? '',
    keyManagerAdminUrl: urls['PORTICO_KEY_MANAGER_ADMIN_URL'] ?? '',
    storeUrl: urls['PORTICO_STORE_URL'] ?? '',
    start,
    startWith,
    pid,
    stop,
    async seed() {
      const lines = parseEnvLines((await script('seed-demo.sh', [], 60_000)).stdout);
      Object.assign(stack.env, lines);
      return lines;
    },
    logTail,
    close,
  };
  // The services run in their own sessions (setsid): if this process dies before close(),
  // stop them anyway rather than leave a stack behind.
  const onExit = () => {
    try {
      execFileSync(join(root, 'scripts', 'services.sh'), ['stop'], { env, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // best effort
    }
  };
  process.once('exit', onExit);
  const closeOnce = close;
  stack.close = async () => {
    process.off('exit', onExit);
    await closeOnce();
  };
  try {
    await start();
    stack.secrets = parseEnvLines(readFileSync(join(runDir, 'secrets.env'), 'utf8'));
    await stack.seed();
  } catch (err) {
    await stack.close();
    throw err;
  }
  return stack;
}
