/**
 * The demo data of `make up` (scripts/seed-demo.sh runs this file), created through the public
 * surfaces a developer uses: the demo developer signs in to the store (the key-manager's login
 * form), creates an application, subscribes it to the demo API (imported by the store from the
 * catalog file services.sh writes), and generates production keys restricted to one domain and
 * unrestricted sandbox keys. Idempotent: what exists is reused; a consumer secret is shown once,
 * so it is kept in a state file (mode 600) and regenerated only when that file does not know it.
 *
 *   node e2e/src/seed.ts   (environment: PORTICO_STORE_URL, PORTICO_KEY_MANAGER_URL,
 *                           DEMO_DEVELOPER_PASSWORD, DEMO_USER_PASSWORD, PORTICO_SEED_STATE)
 * Prints the PORTICO_DEMO_* lines of .portico/demo.env on stdout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { FormBrowser } from '@portico/testing';

export const DEMO = {
  apiContext: '/twitter/1.0.0',
  applicationName: 'DemoApplication',
  subscriptionTier: 'Gold',
  allowedDomain: 'app.example.com',
  domainHeader: 'Origin',
  developer: 'PRIMARY/demo-developer',
  endUser: 'demo-user',
  grantTypes: ['client_credentials', 'password', 'refresh_token'],
} as const;

export interface SeedOptions {
  storeUrl: string;
  keyManagerUrl: string;
  developer: { username: string; password: string };
  /** Where consumer secrets are remembered between runs (JSON, mode 600). */
  stateFile?: string;
  applicationName?: string;
  subscriptionTier?: string;
  allowedDomain?: string;
  /** Validity of the keys' tokens in seconds (default 3600). */
  validitySeconds?: number;
}

export interface DemoKeys {
  applicationId: string;
  apiId: string;
  subscriptionId: string;
  production: { clientId: string; clientSecret: string };
  sandbox: { clientId: string; clientSecret: string };
}

/** A JSON answer of the store, read by field name (the store's own tests pin its schema). */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON, checked by status and field
export type Json = any;

export interface StoreSession {
  subject: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
}

/** Signs a user in to the store through the key-manager's login form; calls carry the CSRF token. */
export async function storeSession(
  storeUrl: string,
  user: { username: string; password: string },
): Promise<StoreSession> {
  const browser = new FormBrowser();
  await browser.signIn(`${storeUrl}/auth/login?returnTo=/signed-in`, user, `${storeUrl}/signed-in`);
  const meRes = await browser.fetch(`${storeUrl}/api/v1/me`);
  if (meRes.status !== 200) throw new Error(`store sign-in of ${user.username} failed: ${meRes.status}`);
  const me = (await meRes.json()) as { subject: string; csrfToken: string };
  return {
    subject: me.subject,
    async call(method, path, body) {
      const res = await browser.fetch(`${storeUrl}${path}`, {
        method,
        headers: {
          'x-csrf-token': me.csrfToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed };
    },
  };
}

function expect(res: { status: number; body: unknown }, ok: number[], what: string) {
  if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Json;
}

async function secretWorks(keyManagerUrl: string, clientId: string, secret: string): Promise<boolean> {
  const res = await fetch(`${keyManagerUrl}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  await res.body?.cancel();
  return res.status === 200;
}

export async function seedDemo(options: SeedOptions): Promise<DemoKeys> {
  const store = await storeSession(options.storeUrl, options.developer);
  const state: Record<string, string> =
    options.stateFile && existsSync(options.stateFile)
      ? JSON.parse(readFileSync(options.stateFile, 'utf8'))
      : {};

  const apis = expect(await store.call('GET', '/api/v1/apis'), [200], 'list APIs');
  const api = (apis.items as Array<{ id: string; context: string }>).find(
    (a) => a.context === DEMO.apiContext,
  );
  if (!api) throw new Error(`the demo API ${DEMO.apiContext} is not published (CATALOG_FILE of the store)`);

  const name = options.applicationName ?? DEMO.applicationName;
  const apps = expect(await store.call('GET', '/api/v1/applications'), [200], 'list applications');
  let app = (apps.items as Array<{ id: string; name: string; status: string }>).find(
    (a) => a.name === name && a.status === 'ACTIVE',
  );
  app ??= expect(
    await store.call('POST', '/api/v1/applications', { name, tier: 'Unlimited' }),
    [201],
    'create the demo application',
  );
  const appId = app!.id;

  const subs = expect(
    await store.call('GET', `/api/v1/subscriptions?applicationId=${encodeURIComponent(appId)}`),
    [200],
    'list subscriptions',
  );
  let sub = (subs.items as Array<{ id: string; apiId: string }>).find((s) => s.apiId === api.id);
  sub ??= expect(
    await store.call('POST', '/api/v1/subscriptions', {
      applicationId: appId,
      apiId: api.id,
      tier: options.subscriptionTier ?? DEMO.subscriptionTier,
    }),
    [201],
    'subscribe',
  );

  const keys = async (keyType: 'PRODUCTION' | 'SANDBOX', allowedDomains: string[]) => {
    const settings = {
      allowedDomains,
      grantTypes: [...DEMO.grantTypes],
      validitySeconds: options.validitySeconds ?? 3600,
    };
    const path = `/api/v1/applications/${appId}/keys/${keyType}`;
    const existing = await store.call('GET', path);
    if (existing.status === 404) {
      const created = expect(await store.call('POST', path, settings), [201], `generate ${keyType} keys`);
      state[created.consumerKey] = created.consumerSecret;
      return { clientId: String(created.consumerKey), clientSecret: String(created.consumerSecret) };
    }
    const key = expect(existing, [200], `read ${keyType} keys`);
    expect(await store.call('PATCH', path, settings), [200], `update ${keyType} keys`);
    const known = state[key.consumerKey];
    if (known && (await secretWorks(options.keyManagerUrl, key.consumerKey, known))) {
      return { clientId: String(key.consumerKey), clientSecret: known };
    }
    const fresh = expect(await store.call('POST', `${path}/secret`), [200], `new ${keyType} secret`);
    state[key.consumerKey] = fresh.consumerSecret;
    return { clientId: String(key.consumerKey), clientSecret: String(fresh.consumerSecret) };
  };
  const production = await keys('PRODUCTION', [options.allowedDomain ?? DEMO.allowedDomain]);
  const sandbox = await keys('SANDBOX', []);
  if (options.stateFile) await writeFile(options.stateFile, JSON.stringify(state), { mode: 0o600 });
  return { applicationId: appId, apiId: api.id, subscriptionId: sub!.id, production, sandbox };
}

if (import.meta.main) {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const keys = await seedDemo({
    storeUrl: need('PORTICO_STORE_URL'),
    keyManagerUrl: need('PORTICO_KEY_MANAGER_URL'),
    developer: { username: DEMO.developer, password: need('DEMO_DEVELOPER_PASSWORD') },
    ...(process.env['PORTICO_SEED_STATE'] ? { stateFile: process.env['PORTICO_SEED_STATE'] } : {}),
  });
  const lines = {
    PORTICO_DEMO_API_PATH: DEMO.apiContext,
    PORTICO_CLIENT_DOMAIN_HEADER: DEMO.domainHeader,
    PORTICO_DEMO_ALLOWED_DOMAIN: DEMO.allowedDomain,
    PORTICO_DEMO_PROD_CLIENT_ID: keys.production.clientId,
    PORTICO_DEMO_PROD_CLIENT_SECRET: keys.production.clientSecret,
    PORTICO_DEMO_SANDBOX_CLIENT_ID: keys.sandbox.clientId,
    PORTICO_DEMO_SANDBOX_CLIENT_SECRET: keys.sandbox.clientSecret,
    PORTICO_DEMO_USERNAME: DEMO.endUser,
    PORTICO_DEMO_PASSWORD: need('DEMO_USER_PASSWORD'),
  };
  for (const [k, v] of Object.entries(lines)) console.log(`${k}=${v}`);
}
