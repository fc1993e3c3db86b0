/**
 * The real stack for the portal's browser tests, as processes (the way `make up` runs them):
 * key-manager, store (serving the built portal), gateway and the demo upstream, on free ports,
 * against the shared Kafka/FerretDB/Redis with unique database names, topic and key prefixes.
 * Users come from the key-manager's BOOTSTRAP_USERS; one published API from the store's
 * CATALOG_FILE. Headless Debian Chromium is driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceProcess } from '@portico/e2e';
import { startDemoUpstream, startService, waitForStatus } from '@portico/e2e';
import { freePorts, repoRoot, sharedInfra, uniqueName } from '@portico/testing';
import { MongoClient } from 'mongodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const USERS = {
  admin: { username: 'PRIMARY/portal-admin', password: 'admin-pass-123', roles: 'admin|developer' },
  alice: { username: 'PRIMARY/alice', password: 'alice-pass-123', roles: 'developer' },
  bob: { username: 'PRIMARY/bob', password: 'bob-pass-1234', roles: 'developer' },
  carol: { username: 'PRIMARY/carol', password: 'carol-pass-123', roles: 'developer' },
  // A user of a secondary user store (USER_STORE_DOMAINS), with characters a form must encode.
  dave: { username: 'PARTNERS/dave', password: 'dave pass&=%+123', roles: 'developer' },
} as const;
export type UserName = keyof typeof USERS;

export const SECRETS = {
  adminToken: `km-admin-${'x'.repeat(24)}`,
  gatewaySecret: `gw-secret-${'y'.repeat(24)}`,
  portalSecret: `portal-secret-${'z'.repeat(24)}`,
  readModelToken: `read-model-${'r'.repeat(24)}`,
};

/** The API every test can subscribe to: published, with a small OpenAPI document. */
export const DEMO_API = {
  name: 'Twitter Search',
  version: '1.0.0',
  context: '/twitter/1.0.0',
};

export type ServiceName = 'key-manager' | 'store' | 'gateway';

export interface Stack {
  storeUrl: string;
  keyManagerUrl: string;
  gatewayUrl: string;
  processes: Record<string, ServiceProcess>;
  /** Stops one service (SIGTERM) / starts it again with the same settings and waits for it. */
  stop(name: ServiceName): Promise<void>;
  start(name: ServiceName): Promise<void>;
  /** RFC 7662 introspection as the gateway client. */
  introspect(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export const ARTIFACTS = join(repoRoot(), '.portico', 'artifacts', 'portal');

/** Builds the portal when its sources changed (the same script `make setup` runs). */
export function buildPortal(): void {
  execFileSync('bash', [join(repoRoot(), 'scripts', 'build-portal.sh')], { stdio: 'inherit' });
}

/**
 * Starts the stack; when another test took one of the free ports between their choice and the
 * listen (EADDRINUSE: several browser test files start stacks at once), starts again on new ones.
 */
export async function startStack(): Promise<Stack> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startStackOnce();
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startStackOnce(): Promise<Stack> {
  buildPortal();
  const infra = sharedInfra();
  const [kmPort, kmAdminPort, storePort, storeAdminPort, gwPort, gwAdminPort] = await freePorts(6);
  const stack = uniqueName('portal');
  const kmDb = `${stack}_km`;
  const storeDb = `${stack}_store`;
  const common = {
    MONGO_URL: infra.mongoUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${stack}.`,
    LOG_LEVEL: process.env['PORTICO_TEST_LOGS'] === '1' ? 'info' : 'warn',
  };
  const keyManagerUrl = `http://127.0.0.1:${kmPort}`;
  const storeUrl = `http://127.0.0.1:${storePort}`;
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;

  const upstream: Server = await startDemoUpstream(0);
  const upstreamPort = (upstream.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'portal-test-'));
  const catalogFile = join(dir, 'catalog.json');
  await writeFile(
    catalogFile,
    JSON.stringify({
      apis: [
        {
          ...DEMO_API,
          description: 'Search recent posts. The seed’s example API.',
          productionUrl: `http://127.0.0.1:${upstreamPort}/production`,
          sandboxUrl: `http://127.0.0.1:${upstreamPort}/sandbox`,
          lifecycle: 'PUBLISHED',
          definition: {
            openapi: '3.0.3',
            info: { title: 'Twitter Search', version: '1.0.0' },
            paths: {
              '/search.atom': {
                get: {
                  summary: 'Search posts as an Atom feed',
                  parameters: [
                    { name: 'q', in: 'query', required: true, schema: { type: 'string', example: 'cat' } },
                  ],
                },
              },
              '/posts/{id}': { get: { summary: 'One post' }, delete: { summary: 'Delete a post' } },
            },
          },
        },
      ],
    }),
  );

  const processes: Record<string, ServiceProcess> = {};
  const envs: Record<string, Record<string, string>> = {};
  const readyUrls: Record<ServiceName, string> = {
    'key-manager': `${keyManagerUrl}/readyz`,
    store: `${storeUrl}/readyz`,
    gateway: `http://127.0.0.1:${gwAdminPort}/readyz`,
  };
  const run = (name: ServiceName, env: Record<string, string>) => {
    envs[name] = env;
    processes[name] = startService(name, env);
  };
  run('key-manager', {
    ...common,
    PORT: String(kmPort),
    ADMIN_PORT: String(kmAdminPort),
    ISSUER: keyManagerUrl,
    MONGO_DB: kmDb,
    KEY_MANAGER_ADMIN_TOKEN: SECRETS.adminToken,
    TOKEN_HASH_KEY: 'h'.repeat(40),
    COOKIE_KEYS: 'c'.repeat(40),
    GATEWAY_CLIENT_SECRET: SECRETS.gatewaySecret,
    PORTAL_CLIENT_SECRET: SECRETS.portalSecret,
    PORTAL_REDIRECT_URIS: `${storeUrl}/auth/callback`,
    PORTAL_POST_LOGOUT_REDIRECT_URIS: `${storeUrl}/`,
    USER_STORE_DOMAINS: 'PARTNERS',
    BOOTSTRAP_USERS: Object.values(USERS)
      .map((u) => `${u.username}:${u.password}:${u.roles}`)
      .join(';'),
  });
  run('store', {
    ...common,
    PORT: String(storePort),
    ADMIN_PORT: String(storeAdminPort),
    PUBLIC_URL: storeUrl,
    MONGO_DB: storeDb,
    KEY_MANAGER_URL: keyManagerUrl,
    KEY_MANAGER_ADMIN_URL: `http://127.0.0.1:${kmAdminPort}`,
    KEY_MANAGER_ADMIN_TOKEN: SECRETS.adminToken,
    PORTAL_CLIENT_SECRET: SECRETS.portalSecret,
    READ_MODEL_TOKEN: SECRETS.readModelToken,
    CATALOG_FILE: catalogFile,
    OUTBOX_RELAY_INTERVAL_MS: '200',
    PORTAL_GATEWAY_URL: gatewayUrl,
  });
  const close = async () => {
    await Promise.all(Object.values(processes).map((p) => p.stop('SIGTERM').catch(() => undefined)));
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
    const client = new MongoClient(infra.mongoUrl);
    try {
      await client.connect();
      await client.db(kmDb).dropDatabase();
      await client.db(storeDb).dropDatabase();
    } finally {
      await client.close();
    }
  };
  try {
    await waitForStatus(`${keyManagerUrl}/readyz`, 200, 90_000);
    await waitForStatus(`${storeUrl}/readyz`, 200, 90_000);
    // The gateway bootstraps its read model from the store, so it starts after it.
    run('gateway', {
      ...common,
      PORT: String(gwPort),
      ADMIN_PORT: String(gwAdminPort),
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${stack}:`,
      KEY_MANAGER_URL: keyManagerUrl,
      GATEWAY_CLIENT_SECRET: SECRETS.gatewaySecret,
      STORE_URL: storeUrl,
      READ_MODEL_TOKEN: SECRETS.readModelToken,
      // Usage batches every 5 s, so the usage tab has data within the test.
      ANALYTICS_FLUSH_INTERVAL_MS: '5000',
    });
    await waitForStatus(`http://127.0.0.1:${gwAdminPort}/readyz`, 200, 90_000);
  } catch (err) {
    const logs = Object.entries(processes)
      .map(([name, p]) => `--- ${name}\n${p.output().slice(-3000)}`)
      .join('\n');
    await close();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return {
    storeUrl,
    keyManagerUrl,
    gatewayUrl,
    processes,
    async stop(name) {
      await processes[name]?.stop('SIGTERM');
    },
    async start(name) {
      processes[name] = startService(name, envs[name]!);
      await waitForStatus(readyUrls[name], 200, 90_000);
    },
    async introspect(token) {
      const res = await fetch(`${keyManagerUrl}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`portico-gateway:${SECRETS.gatewaySecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      return (await res.json()) as Record<string, unknown>;
    },
    close,
  };
}

// ------------------------------------------------------------------ browser

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser.sh (Debian package chromium)`);
  }
  // playwright-core gives every launch a new empty profile (its own --user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  /** Problems the page reported: CSP violations, uncaught errors, console errors. */
  problems: string[];
}

/** A fresh browser context (own cookies) with clipboard access, watching for page errors. */
export async function newUser(browser: Browser, storeUrl: string): Promise<BrowserUser> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: storeUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // 4xx answers the page shows on purpose are logged by Chromium as failed resources.
    if (
      m.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
    )
      problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

/** Signs in through the real OIDC flow: portal → key-manager login form → back to the portal. */
export async function signIn(u: BrowserUser, storeUrl: string, who: UserName): Promise<void> {
  const { page } = u;
  await page.goto(`${storeUrl}/`);
  await page.getByRole('link', { name: 'Sign in to get started' }).click();
  await page.getByLabel('Username (DOMAIN/name)').fill(USERS[who].username);
  await page.getByLabel('Password').fill(USERS[who].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${storeUrl}/apis`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Saves a full-page screenshot, after checking the page's accessible basics: every visible form
 * control and button has a name (label, aria-label or text), and the document has a title.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => {
        const control = el as HTMLInputElement;
        if (control.type === 'hidden' || control.closest('[hidden], dialog:not([open])')) return false;
        const labelled =
          (control.labels?.length ?? 0) > 0 ||
          control.hasAttribute('aria-label') ||
          control.hasAttribute('aria-labelledby') ||
          (el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '');
        return !labelled;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  if (unnamed.length > 0)
    throw new Error(`${name}: controls without an accessible name: ${unnamed.join(' | ')}`);
  if (!(await page.title())) throw new Error(`${name}: the page has no title`);
  await mkdir(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A store API call from the signed-in page (its session cookie and CSRF token). */
export async function storeCall(page: Page, method: string, path: string, body?: unknown) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await (await fetch('/api/v1/me', { credentials: 'same-origin' })).json();
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken ?? '' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json().catch(() => undefined) };
    },
    { method, path, body },
  );
}
