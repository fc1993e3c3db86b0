/**
 * Portico's own scenarios for `make bench`, on a whole stack started by the scripts of `make up`
 * (services.sh + the demo seed; shared Kafka/FerretDB/Redis, this run's own names), every
 * service pinned to the server CPUs:
 * - the gateway with an opaque token hitting the in-process cache, with the in-process cache
 *   reduced to one entry and 64 rotating tokens (Redis hits), and with a JWT;
 * - the key-manager's client_credentials tokens/s and introspections/s next to its /healthz;
 * - scaling: the same load on one gateway replica and on two (nothing pinned: see placement.ts);
 * - revocation lag: revoke answer -> first 401 on each of three replicas (the stack's two and
 *   one started here);
 * - resident memory of each service in the middle of its load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackService } from '@portico/e2e';
import { DEMO, seedDemo, startStack, storeSession } from '@portico/e2e';
import { accepted, basic, cacheLookups, clientToken, lua } from './calls.ts';
import { allCpus, pin, spreadScript } from './placement.ts';
import { startExtraGateway } from './replica.ts';
import type { ScenarioResult } from './report.ts';
import { revocationLag } from './revocation.ts';
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
    // `cpus` and `threads` here override the load generator's usual placement
    opts: Omit<LoadOptions, 'durationSeconds' | 'connections'>,
    extra: () => Promise<Record<string, number>> = async () => ({}),
  ) => {
    if (!wanted(name)) return;
    try {
      // JIT and connection pools warm up outside the measured run
      if (options.warmupSeconds > 0)
        await load({
          ...(options.loadCpus ? { cpus: options.loadCpus } : {}),
          ...opts,
          durationSeconds: options.warmupSeconds,
          connections: options.connections,
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
        ...(options.loadCpus ? { cpus: options.loadCpus } : {}),
        ...opts,
        durationSeconds: options.durationSeconds,
        connections: options.connections,
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

    // Every gateway scenario is measured on replica 2, freshly started with its settings, so the
    // scenarios differ only in what they measure.
    const freshReplica = async (env: Record<string, string> = {}) => {
      await stack.stop('gateway-2');
      await stack.startWith(env, 'gateway-2');
    };

    // The same upstream call on an API whose resources need no token (scripts/services.sh,
    // "Public Search"), without the anonymous rate limit: auth on vs off on the same gateway.
    if (wanted('portico-auth-off')) {
      const open = `/public-search/1.0.0/search.atom?q=cat`;
      await freshReplica({ ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0' });
      await accepted(`${gw2}${open}`, undefined);
      await run('portico-auth-off', 'Portico gateway, a resource that needs no token (auth type None)', {
        url: `${gw2}${open}`,
        headers: {},
      });
    }

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

    // Scaling: both replicas fresh, then the same load (wrk -t2) on one of them and on both.
    // Nothing pinned: a second replica on the server CPU alone could only share that CPU.
    if (wanted('portico-scale-1-replica') || wanted('portico-scale-2-replicas')) {
      await stack.stop('gateway-1', 'gateway-2');
      await stack.start('gateway-1', 'gateway-2');
      await accepted(`${gw1}${path}`, opaque);
      await accepted(`${gw2}${path}`, opaque);
      const placed = [stack.pid('gateway-1'), stack.pid('gateway-2'), stack.pid('demo-upstream')];
      await pin(placed, allCpus());
      const [p1, p2] = [gw1, gw2].map((u) => Number(new URL(u).port)) as [number, number];
      const scaled = { headers: { authorization: `Bearer ${opaque}` }, threads: 2, cpus: allCpus() };
      try {
        await run(
          'portico-scale-1-replica',
          'the same load as portico-scale-2-replicas (wrk -t2) on one gateway replica; nothing pinned',
          { ...scaled, url: `${gw1}${path}`, script: await spreadScript(join(dir, 'one.lua'), [p1, p1]) },
        );
        await run(
          'portico-scale-2-replicas',
          'wrk -t2, one thread (half the connections) per gateway replica; nothing pinned',
          { ...scaled, url: `${gw1}${path}`, script: await spreadScript(join(dir, 'two.lua'), [p1, p2]) },
        );
      } finally {
        if (options.serverCpus) await pin(placed, options.serverCpus);
      }
    }

    if (wanted('revocation-lag')) {
      const third = await startExtraGateway(stack, 3, options.serverCpus).catch((err: Error) => err);
      if (third instanceof Error)
        results.push({ name: 'revocation-lag', description: 'revocation lag', error: third.message });
      else
        try {
          await accepted(`${third.url}${path}`, opaque); // its read model is loaded
          results.push(await revocationLag(stack, [gw1, gw2, third.url], sandbox, path, options));
        } finally {
          await third.stop();
        }
    }
  } catch (err) {
    results.push({ name: 'portico', description: 'Portico scenarios', error: (err as Error).message });
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
