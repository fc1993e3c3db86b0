/**
 * Private Redis Sentinel and Redis Cluster setups for tests, from the Debian redis package
 * (redis-server, redis-cli on PATH; `redis-server --sentinel` stands in for redis-sentinel).
 * Every process binds 127.0.0.1 on free ports, lives in its own temp dir, and is stopped by pid
 * (dispose(); any left are killed when the test process exits). Both require a password
 * (requirepass/masterauth), like a production install.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PrivateService } from './infra.ts';
import {
  createPrivateService,
  freePorts,
  redisServerArgs,
  startOrCleanUp,
  waitForRedisReady,
} from './infra.ts';

/** One redis-cli call against 127.0.0.1:port, bounded in time; stdout trimmed. */
export function redisCli(
  port: number,
  password: string,
  args: string[],
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        ...(password ? ['-a', password, '--no-auth-warning'] : []),
        ...args,
      ],
      { timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`redis-cli ${args.join(' ')} on ${port}: ${err.message} ${stderr}`));
        else resolve(stdout.trim());
      },
    );
  });
}

async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface NodeOptions {
  name: string;
  port: number;
  password: string;
  args?: string[];
  configFile?: string;
}

async function redisNode(root: string, o: NodeOptions): Promise<PrivateService> {
  const dir = path.join(root, o.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const url = `redis://:${encodeURIComponent(o.password)}@127.0.0.1:${o.port}`;
  const args = redisServerArgs({
    port: o.port,
    dir,
    password: o.password,
    configFile: o.configFile,
    extra: o.args,
  });
  return startOrCleanUp(
    createPrivateService({
      kind: 'redis',
      url,
      port: o.port,
      dir,
      logFile: path.join(dir, 'redis.log'),
      launch: () => ({ command: 'redis-server', args, cwd: dir }),
      ready: (r) => waitForRedisReady(url, r),
      startTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
    }),
  );
}

async function disposeAll(services: PrivateService[], root: string): Promise<void> {
  await Promise.all(services.map((s) => s.dispose().catch(() => undefined)));
  await rm(root, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------------ sentinel

export interface PrivateRedisSentinel {
  /** The monitored master's name (REDIS_SENTINEL_NAME). */
  readonly name: string;
  /** requirepass of every node and sentinel (REDIS_PASSWORD). */
  readonly password: string;
  /** 127.0.0.1:port of the three sentinels (REDIS_SENTINELS). */
  readonly sentinels: string[];
  /** The data nodes: [initial master, initial replica]. */
  readonly nodes: PrivateService[];
  /** The data node the sentinels currently name as master. */
  master(): Promise<PrivateService>;
  /** SIGKILLs the current master (by pid) and waits until a sentinel names the replica instead. */
  failover(timeoutMs?: number): Promise<{ from: PrivateService; to: PrivateService; ms: number }>;
  dispose(): Promise<void>;
}

/** 1 master, 1 replica, 3 sentinels (quorum 2, master down after 1 s). */
export async function startPrivateRedisSentinel(): Promise<PrivateRedisSentinel> {
  const root = await mkdtemp(path.join(tmpdir(), 'portico-sentinel-'));
  const password = randomBytes(12).toString('hex');
  const name = 'portico';
  const [masterPort, replicaPort, ...sentinelPorts] = (await freePorts(5)) as [number, number, ...number[]];
  const services: PrivateService[] = [];
  try {
    const auth = ['--masterauth', password];
    services.push(await redisNode(root, { name: 'master', port: masterPort, password, args: auth }));
    services.push(
      await redisNode(root, {
        name: 'replica',
        port: replicaPort,
        password,
        args: [...auth, '--replicaof', '127.0.0.1', String(masterPort)],
      }),
    );
    await pollUntil(
      'replica in sync',
      async () =>
        (await redisCli(replicaPort, password, ['INFO', 'replication'])).includes('master_link_status:up'),
      20_000,
    );
    for (const [i, port] of sentinelPorts.entries()) {
      // Sentinels rewrite their config file: each gets its own, in its own dir.
      const conf = path.join(root, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel auth-pass ${name} ${password}`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      services.push(
        await redisNode(root, {
          name: `sentinel-${i}`,
          port,
          password,
          configFile: conf,
          args: ['--sentinel'],
        }),
      );
    }
    // Ready for a failover once every sentinel knows the replica and the two other sentinels.
    await pollUntil(
      'sentinels know each other and the replica',
      async () => {
        for (const port of sentinelPorts) {
          const info = await redisCli(port, password, ['INFO', 'sentinel']);
          if (!info.includes(`name=${name},status=ok`) || !/slaves=1,sentinels=3/.test(info)) return false;
        }
        return true;
      },
      30_000,
    );
  } catch (err) {
    await disposeAll(services, root);
    throw err;
  }
  const nodes = services.slice(0, 2);
  const sentinels = sentinelPorts.map((p) => `127.0.0.1:${p}`);
  const masterPortNow = async (): Promise<number> => {
    for (const port of sentinelPorts) {
      try {
        const out = await redisCli(port, password, ['SENTINEL', 'get-master-addr-by-name', name], 2000);
        const [, p] = out.split('\n');
        if (p) return Number(p);
      } catch {
        // ask the next sentinel
      }
    }
    throw new Error('no sentinel answered');
  };
  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (!node) throw new Error(`sentinels name an unknown master on port ${port}`);
    return node;
  };
  return {
    name,
    password,
    sentinels,
    nodes,
    master: async () => byPort(await masterPortNow()),
    async failover(timeoutMs = 30_000) {
      const from = byPort(await masterPortNow());
      const t0 = Date.now();
      await from.kill();
      let to: PrivateService | undefined;
      await pollUntil(
        'sentinels promoted the replica',
        async () => {
          const port = await masterPortNow();
          if (port === from.port) return false;
          to = byPort(port);
          return (await redisCli(port, password, ['ROLE'])).startsWith('master');
        },
        timeoutMs,
      );
      return { from, to: to as PrivateService, ms: Date.now() - t0 };
    },
    dispose: () => disposeAll(services, root),
  };
}

// ------------------------------------------------------------------------------------------------ cluster

export interface PrivateRedisCluster {
  readonly password: string;
  /** 127.0.0.1:port of every master (REDIS_CLUSTER_NODES). */
  readonly nodes: string[];
  readonly services: PrivateService[];
  /** The port of the master serving `key`'s slot. */
  ownerOf(key: string): Promise<number>;
  dispose(): Promise<void>;
}

/** Three masters, no replicas, slots split by `redis-cli --cluster create`. */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const root = await mkdtemp(path.join(tmpdir(), 'portico-cluster-'));
  const password = randomBytes(12).toString('hex');
  // Data ports and cluster-bus ports picked separately (port + 10000 could exceed 65535).
  const ports = (await freePorts(6)) as number[];
  const dataPorts = ports.slice(0, 3);
  const services: PrivateService[] = [];
  try {
    for (const [i, port] of dataPorts.entries()) {
      services.push(
        await redisNode(root, {
          name: `node-${i}`,
          port,
          password,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-port',
            String(ports[3 + i]),
            '--cluster-node-timeout',
            '2000',
            '--masterauth',
            password,
          ],
        }),
      );
    }
    const first = dataPorts[0] as number;
    await redisCli(
      first,
      password,
      [
        '--cluster',
        'create',
        ...dataPorts.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      60_000,
    );
    await pollUntil(
      'cluster state ok on every node',
      async () => {
        for (const port of dataPorts) {
          if (!(await redisCli(port, password, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'))
            return false;
        }
        return true;
      },
      30_000,
    );
  } catch (err) {
    await disposeAll(services, root);
    throw err;
  }
  const nodes = dataPorts.map((p) => `127.0.0.1:${p}`);
  return {
    password,
    nodes,
    services,
    async ownerOf(key: string) {
      // Without -c, redis-cli shows the redirection: "MOVED <slot> 127.0.0.1:<port>".
      const first = dataPorts[0] as number;
      const out = await redisCli(first, password, ['EXISTS', key]);
      const moved = /MOVED \d+ [\d.]+:(\d+)/.exec(out);
      return moved ? Number(moved[1]) : first;
    },
    dispose: () => disposeAll(services, root),
  };
}
