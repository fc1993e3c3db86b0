/**
 * REDIS_TLS and REDIS_PASSWORD against a real redis-server (Debian package, built with TLS) that
 * accepts TLS only and requires a password; certificates made here with openssl (a private CA,
 * a server certificate for 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { loadConfig } from '@portico/core';
import type { PrivateService } from '@portico/testing';
import { createPrivateService, freePort, startOrCleanUp, testLogger, uniqueName } from '@portico/testing';
import { RedisTokenCache } from '../src/auth/cache.ts';
import { CacheIntegrity } from '../src/auth/integrity.ts';
import { configSchema, redisSettings } from '../src/config.ts';
import { RedisRateLimitStore } from '../src/ratelimit/limiter.ts';
import type { RedisClient } from '../src/redis.ts';
import { createRedisClient } from '../src/redis.ts';

const password = randomBytes(12).toString('hex');
let dir: string;
let port: number;
let server: PrivateService;
const clients: RedisClient[] = [];

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('openssl', args, { cwd: dir, timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve(),
    ),
  );
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-redis-tls-'));
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=portico-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  ]);
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  ]);
  port = await freePort();
  const ca = readFileSync(path.join(dir, 'ca.pem'));
  server = await startOrCleanUp(
    createPrivateService({
      kind: 'redis',
      url: `rediss://127.0.0.1:${port}`,
      port,
      dir: path.join(dir, 'data'),
      logFile: path.join(dir, 'redis.log'),
      launch: () => ({
        command: 'redis-server',
        // TLS only: the plain port is off.
        args: [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--tls-cert-file',
          'server.pem',
          '--tls-key-file',
          'server.key',
          '--tls-ca-cert-file',
          'ca.pem',
          '--tls-auth-clients',
          'no',
          '--requirepass',
          password,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          '--logfile',
          '',
        ],
        cwd: dir,
      }),
      // Ready when a TLS handshake with our CA succeeds.
      ready: async ({ timeoutMs = 30_000 }) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const ok = await new Promise<boolean>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port, ca }, () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
          });
          if (ok) return;
          if (Date.now() > deadline) throw new Error('no TLS handshake');
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      startTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
    }),
  );
});

after(async () => {
  for (const c of clients) c.disconnect();
  await server?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function client(env: Record<string, string>, timeoutMs = 2000): RedisClient {
  const settings = redisSettings(
    loadConfig(configSchema, {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_COMMAND_TIMEOUT_MS: String(timeoutMs),
      ...env,
    }),
  );
  const c = createRedisClient(settings, testLogger());
  clients.push(c);
  return c;
}

async function ready(c: RedisClient, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (c.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`not ready: ${c.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Redis over TLS with a password', () => {
  it('REDIS_TLS + REDIS_TLS_CA_FILE + REDIS_PASSWORD: the cache and the rate-limit script work', async () => {
    const c = client({
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: path.join(dir, 'ca.pem'),
      REDIS_PASSWORD: password,
    });
    await ready(c);
    const prefix = `${uniqueName('tls')}:`;
    const cache = new RedisTokenCache(
      c,
      prefix,
      new CacheIntegrity('tls-test-integrity-key-0123456789abcdef'),
    );
    const entry = { result: { valid: false as const, code: 'unknown' as const }, until: Date.now() + 10_000 };
    await cache.set('h1', entry);
    assert.deepEqual(await cache.get('h1'), entry);
    const decision = await new RedisRateLimitStore(c).take([
      { key: `${prefix}rl`, intervalMs: 1000, capacity: 1 },
    ]);
    assert.equal(decision.allowed, true);
  });

  it('refuses what it cannot trust: no TLS, an unknown CA, a wrong password', async () => {
    const attempts = {
      plain: client({ REDIS_PASSWORD: password }, 300),
      // No CA file: the system CAs do not know the test CA.
      unknownCa: client({ REDIS_TLS: 'true', REDIS_PASSWORD: password }, 300),
      wrongPassword: client(
        { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: path.join(dir, 'ca.pem'), REDIS_PASSWORD: 'nope' },
        300,
      ),
    };
    await new Promise((r) => setTimeout(r, 1500));
    for (const [what, c] of Object.entries(attempts)) {
      assert.notEqual(c.status, 'ready', what);
      await assert.rejects(c.get('x'), what);
    }
  });
});
