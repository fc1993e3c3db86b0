// scripts/infra.sh with PORTICO_KAFKA_BROKERS=1 (the default) and 3: starts the nodes on loopback in a
// private run dir, renders server.properties as kafkaServerProperties does (one node: the template
// as it is), `env` prints every broker, `stop` leaves no process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { kafkaServerProperties, repoRoot } from '../src/infra.ts';

const { Kafka, logLevel } = kafkajs;
const script = path.join(repoRoot(), 'scripts', 'infra.sh');
const template = readFileSync(
  path.join(repoRoot(), 'scripts', 'infra', 'kafka', 'server.properties.in'),
  'utf8',
);
const runs: string[] = [];

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port with base..base+5 free (brokers base, +2, +4; controllers +1, +3, +5). */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 41_000 + Math.floor(Math.random() * 4000) * 2;
    if ((await Promise.all([0, 1, 2, 3, 4, 5].map((i) => canBind(base + i)))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

function infra(run: string, base: number, brokers: string | undefined, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORTICO_RUN: run,
    PORTICO_KAFKA_PORT: String(base),
    PORTICO_KAFKA_CONTROLLER_PORT: String(base + 1),
  };
  delete env['KAFKA_BROKERS'];
  delete env['PORTICO_KAFKA_BROKERS'];
  if (brokers) env['PORTICO_KAFKA_BROKERS'] = brokers;
  return new Promise((resolve, reject) =>
    execFile(script, args, { env, timeout: 150_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`infra.sh ${args.join(' ')}: ${err.message}\n${stderr}`))
        : resolve(stdout + stderr),
    ),
  );
}

/** Running, not a zombie waiting for init to reap it (stop returns once the command line is gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

after(async () => {
  for (const run of runs) await rm(run, { recursive: true, force: true });
});

describe('scripts/infra.sh Kafka nodes', { timeout: 300_000 }, () => {
  for (const count of [undefined, '3'] as const) {
    const n = count ? Number(count) : 1;
    test(`PORTICO_KAFKA_BROKERS=${count ?? 'unset'}: ${n} node(s) start, env lists ${n} broker(s), stop by pid`, async () => {
      const run = await mkdtemp(path.join(tmpdir(), `portico-infra-kafka-${n}-`));
      runs.push(run);
      const base = await freeBase();
      const pids: number[] = [];
      try {
        await infra(run, base, count, 'start', 'kafka');
        const env = await infra(run, base, count, 'env', 'kafka');
        const brokers = [0, 1, 2].slice(0, n).map((i) => `127.0.0.1:${base + 2 * i}`);
        assert.equal(env.trim(), `export KAFKA_BROKERS=${brokers.join('\\,')}`);

        const names = ['kafka', 'kafka-2', 'kafka-3'].slice(0, n);
        const voters = names.map((_, i) => `${i + 1}@127.0.0.1:${base + 2 * i + 1}`).join(',');
        names.forEach((name, i) => {
          const dir = path.join(run, 'data', name);
          const node = {
            port: base + 2 * i,
            controllerPort: base + 2 * i + 1,
            logDir: path.join(dir, 'kraft-logs'),
          };
          const expected = kafkaServerProperties(
            template,
            n === 1 ? node : { ...node, member: { nodeId: i + 1, voters } },
          );
          assert.equal(
            readFileSync(path.join(dir, 'server.properties'), 'utf8'),
            expected,
            `${name}/server.properties`,
          );
        });
        if (n === 1) {
          const file = readFileSync(path.join(run, 'data', 'kafka', 'server.properties'), 'utf8');
          assert.equal(file, expected1(base, run), 'the single node runs the template as it is');
        }
        assert.deepEqual(
          readdirSync(path.join(run, 'pids')).sort(),
          names.map((name) => `${name}.pid`).sort(),
        );
        for (const name of names)
          pids.push(Number(readFileSync(path.join(run, 'pids', `${name}.pid`), 'utf8')));

        const admin = new Kafka({
          clientId: 'portico-infra-test',
          brokers,
          logLevel: logLevel.NOTHING,
        }).admin();
        await admin.connect();
        try {
          assert.equal((await admin.describeCluster()).brokers.length, n);
        } finally {
          await admin.disconnect();
        }
      } finally {
        await infra(run, base, count, 'stop', 'kafka');
      }
      assert.deepEqual(readdirSync(path.join(run, 'pids')), []);
      for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still runs`);
    });
  }
});

/** The single node's file is the template with only its three placeholders filled in. */
function expected1(base: number, run: string): string {
  return template
    .replaceAll('@PORT@', String(base))
    .replaceAll('@CONTROLLER_PORT@', String(base + 1))
    .replaceAll('@LOG_DIR@', path.join(run, 'data', 'kafka', 'kraft-logs'));
}
