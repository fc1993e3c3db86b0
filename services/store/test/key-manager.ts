/**
 * The REAL key-manager for acceptance tests: `node services/key-manager/src/main.ts` as a child
 * process with its own env (names from services/key-manager/src/config.ts), on free ports, a
 * unique database and the test's Kafka topic prefix. Plus a small browser driver for its
 * login form.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePorts, repoRoot, sharedInfra, uniqueName, waitFor } from '@portico/testing';

export const KM_ADMIN_TOKEN = 'acceptance-admin-token-0123456789';
export const PORTAL_ID = 'portico-portal';
export const PORTAL_SECRET = 'acceptance-portal-secret-0123456789';
export const GATEWAY_ID = 'portico-gateway';
export const GATEWAY_SECRET = 'acceptance-gateway-secret-0123456789';
export const USERS = {
  admin: { username: 'PRIMARY/admin', password: 'admin-password-123' },
  alice: { username: 'PRIMARY/alice', password: 'alice-password-123' },
  bob: { username: 'PRIMARY/bob', password: 'bob-password-12345' },
};

export interface RealKeyManager {
  issuer: string;
  adminUrl: string;
  dbName: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startRealKeyManager(opts: {
  topicPrefix: string;
  redirectUri: string;
}): Promise<RealKeyManager> {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const issuer = `http://127.0.0.1:${port}`;
  const dbName = uniqueName('km_acc');
  const infra = sharedInfra();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: 'test',
    LOG_LEVEL: process.env['PORTICO_TEST_LOGS'] === '1' ? 'debug' : 'warn',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    ISSUER: issuer,
    MONGO_URL: infra.mongoUrl,
    MONGO_DB: dbName,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: opts.topicPrefix,
    KEY_MANAGER_ADMIN_TOKEN: KM_ADMIN_TOKEN,
    TOKEN_HASH_KEY: randomBytes(32).toString('hex'),
    GATEWAY_CLIENT_ID: GATEWAY_ID,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    PORTAL_CLIENT_ID: PORTAL_ID,
    PORTAL_CLIENT_SECRET: PORTAL_SECRET,
    PORTAL_REDIRECT_URIS: opts.redirectUri,
    BOOTSTRAP_USERS: [
      `${USERS.admin.username}:${USERS.admin.password}:admin|developer`,
      `${USERS.alice.username}:${USERS.alice.password}:developer`,
      `${USERS.bob.username}:${USERS.bob.password}:developer`,
    ].join(';'),
    OUTBOX_POLL_MS: '200',
  };
  const root = repoRoot();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'services/key-manager/src/main.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`key-manager exited: ${output.slice(-2000)}`);
        const res = await fetch(`${issuer}/.well-known/openid-configuration`);
        const admin = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
        return res.ok && admin.ok;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'key-manager ready' },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
  }
  return { issuer, adminUrl: `http://127.0.0.1:${adminPort}`, dbName, output: () => output, stop };
}

/** The store's tests sign in through the key-manager's forms like the e2e journeys. */
export { FormBrowser as Browser } from '@portico/testing';
