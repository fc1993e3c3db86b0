// scripts/infra.sh with PORTICO_REDIS_MODE=sentinel|cluster: starts the shape on loopback in a private
// run dir, `env` prints variables a Sentinel / Cluster client can use, `stop` leaves no process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { repoRoot } from '../src/infra.ts';
import { redisCli } from '../src/redis-topologies.ts';

const script = path.join(repoRoot(), 'scripts', 'infra.sh');
const runs: string[] = [];

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port with base..base+4 and their +10000 cluster-bus twins free. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 30_000 + Math.floor(Math.random() * 5000) * 2;
    const ports = [0, 1, 2, 3, 4].flatMap((i) => [base + i, base + i + 10_000]);
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

function infra(run: string, base: number, mode: string, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORTICO_RUN: run,
    PORTICO_REDIS_PORT: String(base),
    PORTICO_REDIS_MODE: mode,
  };
  for (const v of ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES']) delete env[v];
  return new Promise((resolve, reject) =>
    execFile(script, args, { env, timeout: 120_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`infra.sh ${args.join(' ')}: ${err.message}\n${stderr}`))
        : resolve(stdout + stderr),
    ),
  );
}

/** `export A=x B=y` lines (printf %q quoting of commas) -> a map. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('export '))) {
    for (const pair of line.slice(7).split(' ')) {
      const eq = pair.indexOf('=');
      out[pair.slice(0, eq)] = pair.slice(eq + 1).replaceAll('\\,', ',');
    }
  }
  return out;
}

const hostPorts = (list: string) =>
  list.split(',').map((hp) => ({ host: '127.0.0.1', port: Number(hp.split(':')[1]) }));

after(async () => {
  for (const run of runs) await rm(run, { recursive: true, force: true });
});

describe('scripts/infra.sh Redis modes', () => {
  for (const mode of ['sentinel', 'cluster'] as const) {
    test(`PORTICO_REDIS_MODE=${mode}: start, env for the gateway, a working client, stop by pid`, async () => {
      const run = await mkdtemp(path.join(tmpdir(), `portico-infra-${mode}-`));
      runs.push(run);
      const base = await freeBase();
      try {
        const started = await infra(run, base, mode, 'start', 'redis');
        const env = parseEnv(await infra(run, base, mode, 'env', 'redis'));
        const password = env['REDIS_PASSWORD'] ?? '';
        assert.ok(password.length >= 24, 'a generated password');
        assert.ok(!started.includes(password), 'the password is not logged');
        assert.equal(env['REDIS_URL'], '');
        const client =
          mode === 'sentinel'
            ? new Redis({
                sentinels: hostPorts(env['REDIS_SENTINELS'] ?? ''),
                name: env['REDIS_SENTINEL_NAME'] ?? '',
                password,
                sentinelPassword: password,
              })
            : new Cluster(hostPorts(env['REDIS_CLUSTER_NODES'] ?? ''), { redisOptions: { password } });
        try {
          // Keys in different slots: on the cluster they land on different masters.
          for (const key of ['a', 'b', 'c']) await client.set(`infra-test:${key}`, key);
          assert.deepEqual(await client.mget('infra-test:a'), ['a']);
          assert.equal(await client.get('infra-test:c'), 'c');
        } finally {
          client.disconnect();
        }
        const members = mode === 'sentinel' ? 5 : 3;
        assert.equal(readdirSync(path.join(run, 'pids')).length, members);
        // Unauthenticated access is refused.
        assert.match(await redisCli(base, '', ['GET', 'infra-test:a']), /NOAUTH/);
      } finally {
        await infra(run, base, mode, 'stop', 'redis');
      }
      assert.deepEqual(readdirSync(path.join(run, 'pids')), []);
      assert.ok(existsSync(path.join(run, 'data', 'redis.password')));
      assert.equal(readFileSync(path.join(run, 'data', 'redis.password'), 'utf8').trim().length > 0, true);
    });
  }
});
