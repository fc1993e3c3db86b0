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

/** A browser: cookies per origin-less jar, manual redirects. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async fetch(
    url: string,
    init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {},
  ) {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(this.cookies.size > 0
          ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
          : {}),
        ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      ...(init.body ? { body: init.body } : {}),
    });
    this.store(res);
    return res;
  }

  /**
   * Follows redirects from `start`, filling the key-manager's login (and consent) forms, until a
   * redirect leaves for `stopAt` (returned, not followed) or a final non-redirect answer.
   */
  async signIn(
    start: string,
    credentials: { username: string; password: string },
    stopAt?: string,
  ): Promise<URL> {
    let next: { url: string; method: string; body?: URLSearchParams } = { url: start, method: 'GET' };
    for (let i = 0; i < 20; i += 1) {
      const res = await this.fetch(next.url, { method: next.method, body: next.body });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const target = new URL(location, next.url);
        if (stopAt && target.href.startsWith(stopAt)) return target;
        next = { url: target.href, method: 'GET' };
        continue;
      }
      const html = await res.text();
      if (res.status !== 200)
        throw new Error(`unexpected ${res.status} at ${next.url}: ${html.slice(0, 300)}`);
      const login = /<form method="post" action="([^"]+\/login)"/.exec(html);
      if (login?.[1]) {
        next = {
          url: new URL(login[1].replaceAll('&amp;', '&'), next.url).href,
          method: 'POST',
          body: new URLSearchParams(credentials),
        };
        continue;
      }
      const confirm = /<form method="post" action="([^"]+\/confirm)"/.exec(html);
      if (confirm?.[1]) {
        next = {
          url: new URL(confirm[1], next.url).href,
          method: 'POST',
          body: new URLSearchParams({ decision: 'allow' }),
        };
        continue;
      }
      return new URL(next.url);
    }
    throw new Error('too many steps');
  }
}
