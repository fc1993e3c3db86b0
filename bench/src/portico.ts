/**
 * Portico's own scenarios for `make bench`, on a whole stack started by the scripts of `make up`
 * (services.sh + the demo seed; shared Kafka/FerretDB/Redis, this run's own names), every
 * service pinned to the server CPUs:
 * - the gateway with an opaque token hitting the in-process cache, with the in-process cache
 *   reduced to one entry and 64 rotating tokens (Redis hits), and with a JWT;
 * - the key-manager's client_credentials tokens/s and introspections/s next to its /healthz;
 * - revocation lag: revoke answer -> first 401 on each of the two replicas;
 * - resident memory of each service right after its load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack, StackService } from '@portico/e2e';
import { DEMO, seedDemo, startStack, storeSession } from '@portico/e2e';
import type { ScenarioResult } from './report.ts';
import { rssOf } from './servers.ts';
import type { LoadOptions } from './wrk.ts';
import { load } from './wrk.ts';

export interface PorticoBenchOptions {
  durationSeconds: number;
  connections: number;
  revocations: number;
  /** A discarded run before each measured one (0 = none). */
  warmupSeconds: number;
  serverCpus?: string;
  loadCpus?: string;
  /** Only these scenarios (run.ts --only); all when absent. */
  only?: Set<string>;
  log: (line: string) => void;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal here

async function clientToken(stack: Stack, clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${stack.keyManagerUrl}/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`client_credentials: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function status(url: string, token: string): Promise<number> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.status;
}

/** Polls until the gateway answers 200 (a new application reaches the read model through Kafka). */
async function accepted(url: string, token: string): Promise<void> {
  let last = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    last = await status(url, token);
    if (last === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} still answers ${last} for a valid token`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function cacheLookups(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gateway_token_cache_lookups_total\{([^}]*)\} (\S+)$/gm)) {
    const level = /level="([^"]+)"/.exec(m[1]!)?.[1];
    const result = /result="([^"]+)"/.exec(m[1]!)?.[1];
    out[`${level}-${result}`] = Number(m[2]);
  }
  return out;
}

export async function runPorticoScenarios(options: PorticoBenchOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
  const stack = await startStack({
    ...(options.serverCpus ? { cpus: options.serverCpus } : {}),
    env: {
      // per-request logs would measure the log pipe; the key-manager's token rate limits would measure 429s
      LOG_LEVEL: 'warn',
      TOKEN_RATE_LIMIT_PER_IP: '100000000',
      TOKEN_RATE_LIMIT_PER_CLIENT: '100000000',
    },
  });
  const rss = async (names: StackService[]) => {
    const out: Record<string, number> = {};
    for (const n of names) out[n] = await rssOf(stack.pid(n));
    return out;
  };
  const all: StackService[] = ['gateway-1', 'gateway-2', 'key-manager', 'store', 'demo-upstream'];
  const wanted = (name: string) => !options.only || options.only.has(name);
  const run = async (
    name: string,
    description: string,
    opts: Omit<LoadOptions, 'durationSeconds' | 'connections' | 'cpus'>,
    extra: () => Promise<Record<string, number>> = async () => ({}),
  ) => {
    if (!wanted(name)) return;
    try {
      // JIT and connection pools warm up outside the measured run
      if (options.warmupSeconds > 0)
        await load({
          ...opts,
          durationSeconds: options.warmupSeconds,
          connections: options.connections,
          ...(options.loadCpus ? { cpus: options.loadCpus } : {}),
        });
      const before = await extra();
      // resident memory sampled in the middle of the load
      let rssUnderLoad: Record<string, number> = {};
      const sampler = setTimeout(
        () => {
          void rss(all).then((r) => {
            rssUnderLoad = r;
          });
        },
        (options.durationSeconds * 1000) / 2,
      );
      const result = await load({
        ...opts,
        durationSeconds: options.durationSeconds,
        connections: options.connections,
        ...(options.loadCpus ? { cpus: options.loadCpus } : {}),
      });
      clearTimeout(sampler);
      const after = await extra();
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(after)) metrics[k] = v - (before[k] ?? 0);
      results.push({
        name,
        description,
        load: result,
        rssBytes: Object.keys(rssUnderLoad).length > 0 ? rssUnderLoad : await rss(all),
        ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
      });
      options.log(`${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50} ms`);
    } catch (err) {
      results.push({ name, description, error: (err as Error).message });
      options.log(`${name}: failed: ${(err as Error).message}`);
    }
  };

  try {
    const developer = { username: DEMO.developer, password: stack.secrets['DEMO_DEVELOPER_PASSWORD']! };
    const keys = await seedDemo({
      storeUrl: stack.storeUrl,
      keyManagerUrl: stack.keyManagerUrl,
      developer,
      applicationName: 'BenchApplication',
      subscriptionTier: 'Unlimited',
      stateFile: join(stack.runDir, 'bench-keys.json'),
    });
    const sandbox = keys.sandbox;
    const [gw1, gw2] = stack.gateways as [string, string];
    const admin2 = stack.gatewayAdmins[1]!;
    const path = `${DEMO.apiContext}/search.atom?q=cat`;

    if (wanted('portico-auth-off'))
      results.push({
        name: 'portico-auth-off',
        description: 'the gateway with authentication off',
        unsupported:
          'the gateway has no way to turn authentication off: every API and resource requires a token (no per-API auth type in the read model)',
      });

    // Every gateway scenario is measured on replica 2, freshly started with its settings, so the
    // scenarios differ only in what they measure.
    const freshReplica = async (env: Record<string, string> = {}) => {
      await stack.stop('gateway-2');
      await stack.startWith(env, 'gateway-2');
    };

    // An opaque token, validated once, then served from the in-process cache.
    const opaque = await clientToken(stack, sandbox.clientId, sandbox.clientSecret);
    await accepted(`${gw1}${path}`, opaque);
    await freshReplica();
    await accepted(`${gw2}${path}`, opaque);
    await run(
      'portico-opaque-l1',
      'Portico gateway, opaque token in the in-process cache (sandbox key, Unlimited tier)',
      { url: `${gw2}${path}`, headers: { authorization: `Bearer ${opaque}` } },
      () => cacheLookups(admin2),
    );

    // The in-process cache cut to one entry and 64 rotating tokens: every lookup goes to Redis.
    if (wanted('portico-opaque-redis')) {
      const rotating: string[] = [];
      for (let i = 0; i < 64; i += 1)
        rotating.push(await clientToken(stack, sandbox.clientId, sandbox.clientSecret));
      for (const t of rotating) await accepted(`${gw1}${path}`, t); // now in Redis
      await freshReplica({ TOKEN_CACHE_MAX_ENTRIES: '1' });
      const script = join(dir, 'rotate.lua');
      await writeFile(
        script,
        `local tokens = {${rotating.map(lua).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i % #tokens + 1\n  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[i] })\nend\n`,
      );
      await run(
        'portico-opaque-redis',
        'Portico gateway, in-process cache cut to 1 entry (TOKEN_CACHE_MAX_ENTRIES=1), 64 rotating tokens: Redis hits',
        { url: `${gw2}${path}`, script },
        () => cacheLookups(admin2),
      );
    }

    // A JWT access token (the production key switched to JWT, no domain restriction).
    if (wanted('portico-jwt')) {
      const session = await storeSession(stack.storeUrl, developer);
      const patched = await session.call(
        'PATCH',
        `/api/v1/applications/${keys.applicationId}/keys/PRODUCTION`,
        {
          allowedDomains: [],
          tokenFormat: 'jwt',
        },
      );
      if (patched.status !== 200)
        throw new Error(`switch to JWT: ${patched.status} ${JSON.stringify(patched.body)}`);
      const jwt = await clientToken(stack, keys.production.clientId, keys.production.clientSecret);
      if (jwt.split('.').length !== 3) throw new Error('the production key did not issue a JWT');
      // the read model follows the key change through Kafka: wait until the gateway accepts it
      await accepted(`${gw1}${path}`, jwt);
      await freshReplica();
      await accepted(`${gw2}${path}`, jwt);
      await run(
        'portico-jwt',
        'Portico gateway, JWT access token (signature checked with the key-manager JWKS, then cached in-process)',
        { url: `${gw2}${path}`, headers: { authorization: `Bearer ${jwt}` } },
        () => cacheLookups(admin2),
      );
    }

    // The key-manager: tokens/s and introspections/s next to a trivial endpoint of the same server.
    await run('key-manager-healthz', 'key-manager GET /healthz (trivial endpoint, same server)', {
      url: `${stack.keyManagerUrl}/healthz`,
    });
    const ccScript = join(dir, 'cc.lua');
    await writeFile(
      ccScript,
      `wrk.method = "POST"\nwrk.body = "grant_type=client_credentials"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.headers["Authorization"] = ${lua(basic(sandbox.clientId, sandbox.clientSecret))}\n`,
    );
    await run(
      'key-manager-client-credentials',
      'key-manager POST /token grant_type=client_credentials (opaque, persisted)',
      {
        url: `${stack.keyManagerUrl}/token`,
        script: ccScript,
      },
    );
    const introspectScript = join(dir, 'introspect.lua');
    await writeFile(
      introspectScript,
      `wrk.method = "POST"\nwrk.body = ${lua(`token=${opaque}`)}\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.headers["Authorization"] = ${lua(basic('portico-gateway', stack.secrets['GATEWAY_CLIENT_SECRET']!))}\n`,
    );
    await run(
      'key-manager-introspection',
      'key-manager POST /token/introspection (RFC 7662, the gateway client)',
      {
        url: `${stack.keyManagerUrl}/token/introspection`,
        script: introspectScript,
      },
    );

    if (wanted('revocation-lag')) results.push(await revocationLag(stack, sandbox, path, options));
  } catch (err) {
    results.push({ name: 'portico', description: 'Portico scenarios', error: (err as Error).message });
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

/** Revoke (RFC 7009) a token both replicas hold as valid; time from the answer to the first 401 on each. */
async function revocationLag(
  stack: Stack,
  client: { clientId: string; clientSecret: string },
  path: string,
  options: PorticoBenchOptions,
): Promise<ScenarioResult> {
  const name = 'revocation-lag';
  const description = `revoke answer -> first 401 on each of two replicas and on both ("all replicas"), ${options.revocations} revocations (tokens cached as valid first)`;
  const lags: number[][] = stack.gateways.map(() => []);
  /** Per revocation: until the last replica refused (the promise is about every replica). */
  const untilAll: number[] = [];
  let lost = 0;
  try {
    for (let i = 0; i < options.revocations; i += 1) {
      const token = await clientToken(stack, client.clientId, client.clientSecret);
      for (const gw of stack.gateways)
        if ((await status(`${gw}${path}`, token)) !== 200) throw new Error('token refused');
      const res = await fetch(`${stack.keyManagerUrl}/token/revocation`, {
        method: 'POST',
        headers: {
          authorization: basic(client.clientId, client.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`revocation answered ${res.status}`);
      const t0 = performance.now();
      const each = await Promise.all(
        stack.gateways.map(async (gw, r) => {
          while (performance.now() - t0 < 10_000) {
            if ((await status(`${gw}${path}`, token)) === 401) {
              const lag = performance.now() - t0;
              lags[r]!.push(lag);
              return lag;
            }
          }
          lost += 1;
          return undefined;
        }),
      );
      if (each.every((lag) => lag !== undefined)) untilAll.push(Math.max(...each));
    }
    const metrics: Record<string, number> = { lost };
    lags.forEach((l, r) => {
      const sorted = [...l].sort((a, b) => a - b);
      metrics[`gateway-${r + 1} p50 ms`] = percentile(sorted, 50);
      metrics[`gateway-${r + 1} p99 ms`] = percentile(sorted, 99);
      metrics[`gateway-${r + 1} max ms`] = sorted.at(-1) ?? Number.NaN;
    });
    const all = [...untilAll].sort((a, b) => a - b);
    metrics['all replicas p50 ms'] = percentile(all, 50);
    metrics['all replicas p99 ms'] = percentile(all, 99);
    metrics['all replicas max ms'] = all.at(-1) ?? Number.NaN;
    metrics['revocations'] = options.revocations;
    options.log(
      `${name}: until every replica refuses p50 ${metrics['all replicas p50 ms']?.toFixed(1)} / p99 ${metrics['all replicas p99 ms']?.toFixed(1)} ms, lost ${lost}`,
    );
    return { name, description, metrics };
  } catch (err) {
    return { name, description, error: (err as Error).message };
  }
}
