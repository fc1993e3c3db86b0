/**
 * Local infrastructure for tests.
 *
 * - `sharedInfra()` tells where the shared instances started by `scripts/infra.sh start` are
 *   (or the external ones named by MONGO_URL / KAFKA_BROKERS / REDIS_URL).
 * - `startPrivateRedis()`, `startPrivateMongo()`, `startPrivateKafka()` spawn a private instance on
 *   free ports in a temp dir, for fault tests that stop and restart it. Always `dispose()` them
 *   (an `after` hook); any left running are killed when the test process exits.
 *   Three-node Kafka: `startPrivateKafkaCluster()` (kafka-cluster.ts); Redis Sentinel and Cluster:
 *   redis-topologies.ts.
 * - `waitForRedisReady()`, `waitForMongoReady()`, `waitForKafkaReady()` poll until a server answers;
 *   scripts/infra/ready.ts uses them for `scripts/infra.sh start`.
 *
 * Binaries: ferretdb and the Kafka jars from the repo's .tools (scripts/setup-infra.sh), redis-server
 * from PATH. Only 127.0.0.1 is ever bound or contacted by the private instances.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// ------------------------------------------------------------------------------------------------ shared

/** Default ports of the shared instances (scripts/infra.sh); each overridable by its env var. */
export const DEFAULT_INFRA_PORTS = {
  mongo: 27018, // PORTICO_MONGO_PORT
  kafka: 19092, // PORTICO_KAFKA_PORT
  kafkaController: 19093, // PORTICO_KAFKA_CONTROLLER_PORT
  redis: 16379, // PORTICO_REDIS_PORT
} as const;

export interface SharedInfra {
  /** MONGO_URL, default mongodb://127.0.0.1:27018/ (FerretDB). */
  mongoUrl: string;
  /** KAFKA_BROKERS split on commas, default ['127.0.0.1:19092']. */
  kafkaBrokers: string[];
  /** REDIS_URL, default redis://127.0.0.1:16379. */
  redisUrl: string;
}

function envPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`${name}=${raw} is not a TCP port`);
  return port;
}

/** Where the shared infrastructure is: env vars first, then the local defaults of scripts/infra.sh. */
export function sharedInfra(env: NodeJS.ProcessEnv = process.env): SharedInfra {
  const mongoPort = envPort(env, 'PORTICO_MONGO_PORT', DEFAULT_INFRA_PORTS.mongo);
  const kafkaPort = envPort(env, 'PORTICO_KAFKA_PORT', DEFAULT_INFRA_PORTS.kafka);
  const redisPort = envPort(env, 'PORTICO_REDIS_PORT', DEFAULT_INFRA_PORTS.redis);
  const brokers = (env['KAFKA_BROKERS'] || `127.0.0.1:${kafkaPort}`)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return {
    mongoUrl: env['MONGO_URL'] || `mongodb://127.0.0.1:${mongoPort}/`,
    kafkaBrokers: brokers,
    redisUrl: env['REDIS_URL'] || `redis://127.0.0.1:${redisPort}`,
  };
}

// ------------------------------------------------------------------------------------------------ paths

let cachedRoot: string | undefined;

/** The repository root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${import.meta.dirname}`);
    dir = parent;
  }
}

function toolsDir(): string {
  return process.env['PORTICO_TOOLS'] || path.join(repoRoot(), '.tools');
}

function requireFile(file: string, what: string): string {
  if (!existsSync(file)) throw new Error(`${what} not found at ${file}: run scripts/setup-infra.sh`);
  return file;
}

// ------------------------------------------------------------------------------------------------ ports

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it by binding port 0). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** `count` distinct free ports, all held at once while they are picked. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ------------------------------------------------------------------------------------------------ readiness

export interface ReadyOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
  /**
   * Called before each attempt: return a string (why) to stop waiting at once, e.g. because the
   * server process has exited.
   */
  abortIf?: () => string | undefined;
}

async function pollReady(what: string, attempt: () => Promise<void>, options: ReadyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt made';
  for (;;) {
    const aborted = options.abortIf?.();
    if (aborted) throw new Error(`${what} is not ready: ${aborted}`);
    try {
      await attempt();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline)
      throw new Error(`${what} not ready within ${timeoutMs} ms (last error: ${lastError})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(address);
  return { host: m?.[1] || '127.0.0.1', port: m?.[2] ? Number(m[2]) : defaultPort };
}

/** One RESP PING over a raw socket: "+PONG" means ready ("-LOADING" etc. do not). No driver needed. */
function redisPing(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = u.port ? Number(u.port) : 6379;
  const commands: string[] = [];
  const password = decodeURIComponent(u.password);
  if (password) {
    const user = decodeURIComponent(u.username) || 'default';
    commands.push(
      `*3\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(user)}\r\n${user}\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`,
    );
  }
  commands.push('*1\r\n$4\r\nPING\r\n');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let buffer = '';
    const finish = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`)),
    );
    socket.once('error', (err) => finish(err));
    socket.once('connect', () => socket.write(commands.join('')));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const lines = buffer.split('\r\n');
      if (lines.length <= commands.length) return; // not all replies in yet
      const replies = lines.slice(0, commands.length);
      const bad = replies.find((l) => l.startsWith('-'));
      if (bad) finish(new Error(`redis answered ${bad}`));
      else if (replies[replies.length - 1] === '+PONG') finish();
      else finish(new Error(`unexpected redis reply ${JSON.stringify(replies)}`));
    });
  });
}

/** Polls until redis at `url` (redis://[user:pass@]host:port) answers PING with PONG. */
export function waitForRedisReady(url: string, options: ReadyOptions = {}): Promise<void> {
  return pollReady(`redis ${url}`, () => redisPing(url, 2000), options);
}

/** Polls until the MongoDB-compatible server at `url` answers { ping: 1 }. */
export async function waitForMongoReady(url: string, options: ReadyOptions = {}): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const srv = url.startsWith('mongodb+srv://');
  const first = new URL(url.replace(/^mongodb(\+srv)?:\/\//, 'http://').replace(/,.*?(\/|$)/, '$1'));
  const { host, port } = hostPort(first.host, 27017);
  await pollReady(
    `mongo ${url}`,
    async () => {
      // A cheap TCP check first: the driver's server selection would wait its whole timeout.
      if (!srv && !(await tcpProbe(host, port, 1000)))
        throw new Error(`nothing accepts connections on ${host}:${port}`);
      const client = new MongoClient(url, {
        serverSelectionTimeoutMS: 2000,
        connectTimeoutMS: 2000,
        directConnection: url.startsWith('mongodb://') && !url.includes(','),
      });
      try {
        await client.connect();
        await client.db('admin').command({ ping: 1 });
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    options,
  );
}

export interface KafkaReadyOptions extends ReadyOptions {
  /** Ready once this many brokers have registered (default 1). */
  minBrokers?: number;
}

/**
 * Polls until the Kafka cluster at `brokers` answers a metadata request (describeCluster reports
 * `minBrokers` brokers, listTopics works).
 */
export async function waitForKafkaReady(brokers: string[], options: KafkaReadyOptions = {}): Promise<void> {
  const minBrokers = options.minBrokers ?? 1;
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const targets = brokers.map((b) => hostPort(b, 9092));
  await pollReady(
    `kafka ${brokers.join(',')}`,
    async () => {
      const open = await Promise.all(targets.map((t) => tcpProbe(t.host, t.port, 1000)));
      if (!open.some(Boolean)) throw new Error(`nothing accepts connections on ${brokers.join(',')}`);
      const kafka = new Kafka({
        clientId: 'portico-ready-check',
        brokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 2000,
        requestTimeout: 5000,
        retry: { retries: 0 },
      });
      const admin = kafka.admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length < minBrokers)
          throw new Error(`${cluster.brokers.length} of ${minBrokers} brokers registered`);
        await admin.listTopics();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    options,
  );
}

// ------------------------------------------------------------------------------------------------ private instances

export type PrivateServiceKind = 'redis' | 'mongo' | 'kafka';

/** A server of this test process's own, on its own port and temp dir. */
export interface PrivateService {
  readonly kind: PrivateServiceKind;
  /** redis://127.0.0.1:PORT, mongodb://127.0.0.1:PORT/ or, for Kafka, the broker 127.0.0.1:PORT. */
  readonly url: string;
  readonly port: number;
  /** Its temp dir (data and log); removed by dispose(). */
  readonly dir: string;
  /** Its stdout and stderr. */
  readonly logFile: string;
  /** True between a successful start() and stop()/kill() (or its process dying). */
  readonly running: boolean;
  /** Starts it again on the same port with the same data, and waits until it is ready. No-op when running. */
  start(): Promise<void>;
  /** Graceful stop: SIGTERM, then SIGKILL when it has not exited in time. No-op when stopped. */
  stop(): Promise<void>;
  /** Crash: SIGKILL, no shutdown work (Redis loses what it has not yet fsynced). */
  kill(): Promise<void>;
  /** Stops it and deletes its temp dir. */
  dispose(): Promise<void>;
  /** The last lines of its log, for assertion messages. */
  logTail(lines?: number): string;
}

export interface PrivateServiceOptions {
  /** How long start() waits for readiness (default 60 s for Kafka, 30 s otherwise). */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 20 s). */
  stopTimeoutMs?: number;
}

export interface PrivateRedisOptions extends PrivateServiceOptions {
  /**
   * Keep data across stop()/start() with an append-only file (default true). With false, Redis
   * starts empty each time, like a cache that lost its memory.
   */
  persistent?: boolean;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test that forgot dispose() must not leave servers behind.
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function runToCompletion(spec: LaunchSpec, logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    track(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(spec.command)} exited with ${signal ?? code} (${logFile}):\n${tail(logFile)}`,
          ),
        );
    });
  });
}

/** A private server process (used by the helpers here and in redis-topologies.ts). */
export function createPrivateService(config: {
  kind: PrivateServiceKind;
  url: string;
  port: number;
  dir: string;
  logFile: string;
  launch: () => LaunchSpec;
  ready: (options: ReadyOptions) => Promise<void>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}): PrivateService {
  let child: ChildProcess | undefined;
  let disposed = false;
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function start(): Promise<void> {
    if (disposed) throw new Error(`private ${config.kind} was disposed`);
    if (isRunning()) return;
    const spec = config.launch();
    const fd = openSync(config.logFile, 'a');
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });
    proc.unref(); // the exit hook kills it; it must not keep a finished test process alive
    track(proc);
    child = proc;
    try {
      await config.ready({
        timeoutMs: config.startTimeoutMs,
        abortIf: () => {
          if (spawnError) return `cannot run ${spec.command}: ${spawnError.message}`;
          if (proc.exitCode !== null || proc.signalCode !== null)
            return `its process exited (${proc.signalCode ?? `exit ${proc.exitCode}`})`;
          return undefined;
        },
      });
    } catch (err) {
      proc.kill('SIGKILL');
      await waitExit(proc, 5000);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(
        `private ${config.kind} on port ${config.port} failed to start: ${message}\n--- ${config.logFile} ---\n${tail(config.logFile)}`,
      );
    }
  }

  async function halt(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const proc = child;
    if (!proc || !isRunning()) return;
    proc.kill(signal);
    if (!(await waitExit(proc, signal === 'SIGKILL' ? 10_000 : config.stopTimeoutMs))) {
      proc.kill('SIGKILL');
      await waitExit(proc, 10_000);
    }
  }

  return {
    kind: config.kind,
    url: config.url,
    port: config.port,
    dir: config.dir,
    logFile: config.logFile,
    get running() {
      return isRunning();
    },
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async dispose() {
      if (disposed) return;
      await halt('SIGTERM');
      disposed = true;
      await rm(config.dir, { recursive: true, force: true });
    },
    logTail: (lines = 40) => tail(config.logFile, lines),
  };
}

export async function startOrCleanUp(service: PrivateService): Promise<PrivateService> {
  try {
    await service.start();
    return service;
  } catch (err) {
    await service.dispose().catch(() => undefined);
    throw err;
  }
}

export interface RedisServerArgs {
  port: number;
  /** Working and data directory. */
  dir: string;
  /** Append-only file (default false: nothing is kept across restarts). */
  persistent?: boolean;
  /** requirepass (none when empty). */
  password?: string;
  /** A config file read first (e.g. a sentinel's, which it rewrites). */
  configFile?: string;
  /** Appended last, e.g. --replicaof or --cluster-enabled. */
  extra?: string[];
}

/** redis-server's arguments for a private node: 127.0.0.1 only, in the foreground, logging to stdout. */
export function redisServerArgs(o: RedisServerArgs): string[] {
  return [
    ...(o.configFile ? [o.configFile] : []),
    '--port',
    String(o.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    o.dir,
    '--save',
    '',
    '--appendonly',
    o.persistent ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'warning',
    ...(o.password ? ['--requirepass', o.password] : []),
    ...(o.extra ?? []),
  ];
}

/** A private redis-server (from PATH) on a free port. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateService> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const persistent = options.persistent ?? true;
  return startOrCleanUp(
    createPrivateService({
      kind: 'redis',
      url,
      port,
      dir,
      logFile: path.join(dir, 'redis.log'),
      launch: () => ({
        command: 'redis-server',
        args: redisServerArgs({ port, dir, persistent }),
        cwd: dir,
      }),
      ready: (o) => waitForRedisReady(url, o),
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
    }),
  );
}

/** A private FerretDB (SQLite backend, .tools/bin/ferretdb) on a free port. */
export async function startPrivateMongo(options: PrivateServiceOptions = {}): Promise<PrivateService> {
  const ferretdb = requireFile(path.join(toolsDir(), 'bin', 'ferretdb'), 'ferretdb');
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-mongo-'));
  await mkdir(path.join(dir, 'sqlite'));
  await mkdir(path.join(dir, 'state'));
  const url = `mongodb://127.0.0.1:${port}/`;
  return startOrCleanUp(
    createPrivateService({
      kind: 'mongo',
      url,
      port,
      dir,
      logFile: path.join(dir, 'ferretdb.log'),
      launch: () => ({ command: ferretdb, args: ferretdbArgs(port, dir), cwd: dir }),
      ready: (o) => waitForMongoReady(url, o),
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
    }),
  );
}

function ferretdbArgs(port: number, dir: string): string[] {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${path.join(dir, 'sqlite')}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${path.join(dir, 'state')}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ];
}

/** A Kafka cluster id as Kafka's own Uuid.randomUuid() makes them: 16 random bytes, base64url. */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaNodeConfig {
  port: number;
  controllerPort: number;
  logDir: string;
  /** One node of a set: its id and every voter, `id@127.0.0.1:controllerPort` comma-separated. */
  member?: { nodeId: number; voters: string };
}

/**
 * server.properties of one KRaft node from scripts/infra/kafka/server.properties.in, rendered as
 * scripts/infra.sh renders it: a single node is the template as it is; a member of a set of three
 * gets its node id, the quorum, and three replicas (two in sync) for internal and default topics.
 */
export function kafkaServerProperties(template: string, node: KafkaNodeConfig): string {
  let text = template
    .replaceAll('@PORT@', String(node.port))
    .replaceAll('@CONTROLLER_PORT@', String(node.controllerPort))
    .replaceAll('@LOG_DIR@', node.logDir);
  if (!node.member) return text;
  const set: Record<string, string> = {
    'node.id': String(node.member.nodeId),
    'controller.quorum.voters': node.member.voters,
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'share.coordinator.state.topic.replication.factor': '3',
    'default.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'share.coordinator.state.topic.min.isr': '2',
    'min.insync.replicas': '2',
  };
  for (const [key, value] of Object.entries(set)) {
    const line = new RegExp(`^${key.replaceAll('.', '\\.')}=.*$`, 'm');
    if (!line.test(text)) throw new Error(`server.properties.in has no ${key}= line`);
    text = text.replace(line, `${key}=${value}`);
  }
  return text.replace(
    '# One broker: every internal topic has one replica.',
    '# Three nodes (PORTICO_KAFKA_BROKERS=3): three replicas, two in sync.',
  );
}

/** The template, jars and JVM settings of the local Kafka (scripts/infra/kafka, .tools/kafka/libs). */
export async function kafkaInstall(): Promise<{
  template: string;
  java: (cwd: string, mainClass: string, ...args: string[]) => LaunchSpec;
}> {
  const confDir = path.join(repoRoot(), 'scripts', 'infra', 'kafka');
  const libs = path.join(toolsDir(), 'kafka', 'libs');
  requireFile(libs, 'Kafka jars (.tools/kafka/libs)');
  const template = await readFile(path.join(confDir, 'server.properties.in'), 'utf8');
  const java = (cwd: string, mainClass: string, ...args: string[]): LaunchSpec => ({
    command: 'java',
    args: [
      `@${path.join(confDir, 'jvm.args')}`,
      `-Dlog4j2.configurationFile=${path.join(confDir, 'log4j2.properties')}`,
      '-cp',
      `${libs}/*`,
      mainClass,
      ...args,
    ],
    cwd,
  });
  return { template, java };
}

type KafkaJava = Awaited<ReturnType<typeof kafkaInstall>>['java'];

/** Formats one node's storage (kafka.tools.StorageTool) for cluster `clusterId`; output into logFile. */
export function formatKafkaStorage(
  java: KafkaJava,
  dir: string,
  clusterId: string,
  properties: string,
  logFile: string,
): Promise<void> {
  return runToCompletion(
    java(dir, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties),
    logFile,
    60_000,
  );
}

/** A private single-node KRaft Kafka (.tools/kafka/libs) on free ports; `url` is its broker address. */
export async function startPrivateKafka(options: PrivateServiceOptions = {}): Promise<PrivateService> {
  const { template, java } = await kafkaInstall();
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-kafka-'));
  const properties = path.join(dir, 'server.properties');
  await writeFile(
    properties,
    kafkaServerProperties(template, { port, controllerPort, logDir: path.join(dir, 'kraft-logs') }),
  );
  const logFile = path.join(dir, 'kafka.log');
  const url = `127.0.0.1:${port}`;
  const service = createPrivateService({
    kind: 'kafka',
    url,
    port,
    dir,
    logFile,
    launch: () => java(dir, 'kafka.Kafka', properties),
    ready: (o) => waitForKafkaReady([url], o),
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
  });
  try {
    await formatKafkaStorage(java, dir, kafkaClusterId(), properties, logFile);
  } catch (err) {
    await service.dispose().catch(() => undefined);
    throw err;
  }
  return startOrCleanUp(service);
}
