/**
 * The chaos run (`make chaos`, issue 11): the clustered shape on loopback — a private 3-broker
 * KRaft cluster, a private Redis Sentinel (1 master, 1 replica, 3 sentinels), 2 key-managers
 * and 2 stores behind the local nginx, 3 gateway replicas — under a steady, bounded load while
 * tokens are issued and revoked, with faults injected one after another:
 *   1. SIGKILL of the Kafka broker leading the revocation topic's partition 0 (restarted later);
 *   2. a Redis failover (SIGKILL of the master; Sentinel promotes the replica);
 *   3. SIGKILL of a key-manager replica (restarted later);
 *   4. SIGKILL of a gateway replica, then a restart.
 * The load only targets gateways whose /readyz answers 200 (what a Kubernetes Service does).
 * A revocation is "lost" when any replica still answers 200 for the token after the promised
 * bound (REVOKE_BOUND_MS) from the revoke answer.
 *
 *   node bench/src/chaos.ts [--short] [--out DIR]
 * writes DIR/chaos.json and DIR/chaos.md (default bench/results/). `--short` is the e2e test's
 * variant (faults 1 and 2, shorter phases).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stack } from '@portico/e2e';
import { DEMO, oauthClient, oidc, seedDemo, startStack } from '@portico/e2e';
import { EventBus } from '@portico/events';
import type { PrivateKafkaCluster, PrivateRedisSentinel } from '@portico/testing';
import { repoRoot, startPrivateKafkaCluster, startPrivateRedisSentinel, testLogger } from '@portico/testing';

/** Every replica refuses a revoked token within this bound of the revoke answer (ADR 0032). */
export const REVOKE_BOUND_MS = 2000;
const SEARCH = `${DEMO.apiContext}/search.atom?q=cat`;

export interface Fault {
  name: string;
  /** ms since the start of the run. */
  at: number;
  /** ms until the system answered normally again (what "normally" means is in `recoveredWhen`). */
  recoveryMs: number | null;
  recoveredWhen: string;
  detail?: string;
}

export interface ChaosReport {
  startedAt: string;
  durationSeconds: number;
  brokers: number;
  gatewayReplicas: number;
  keyManagerReplicas: number;
  storeReplicas: number;
  redis: string;
  /** Replicas and min.insync.replicas of the revocation topic as the key-manager created it. */
  revocationTopic: { name: string; replicationFactor: number; minInsyncReplicas: number | null };
  requests: number;
  failedRequests: number;
  failedByGateway: Record<string, number>;
  revocations: number;
  revocationsLost: number;
  revokeRequestsFailed: number;
  revokedAcceptedAfterMs: number | null;
  faults: Fault[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(url: string, token?: string): Promise<number> {
  try {
    const res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(3000),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0; // connection refused or reset, timeout
  }
}

/** Polls `ok` every 100 ms; the ms it took, or null after `timeoutMs`. */
async function until(ok: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await ok().catch(() => false)) return Date.now() - t0;
    await sleep(100);
  }
  return null;
}

export async function runChaos(
  options: { short?: boolean; log?: (line: string) => void } = {},
): Promise<ChaosReport> {
  const log = options.log ?? ((l: string) => console.log(`[chaos] ${l}`));
  const phaseMs = options.short ? 4000 : 12_000;
  const started = Date.now();
  const since = () => Date.now() - started;
  let cluster: PrivateKafkaCluster | undefined;
  let sentinel: PrivateRedisSentinel | undefined;
  let stack: Stack | undefined;
  try {
    [cluster, sentinel] = await Promise.all([startPrivateKafkaCluster(), startPrivateRedisSentinel()]);
    log(`kafka ${cluster.brokers.join(',')}; redis sentinels ${sentinel.sentinels.join(',')}`);
    stack = await startStack({
      infra: { kafkaBrokers: cluster.brokers.join(','), redisUrl: '' },
      env: {
        PORTICO_REPLICAS: '2',
        PORTICO_GATEWAYS: '3',
        REDIS_SENTINELS: sentinel.sentinels.join(','),
        REDIS_SENTINEL_NAME: sentinel.name,
        REDIS_PASSWORD: sentinel.password,
        KAFKA_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
      },
    });
    const s = stack;
    const keys = await seedDemo({
      storeUrl: s.storeUrl,
      keyManagerUrl: s.keyManagerUrl,
      developer: { username: DEMO.developer, password: s.secrets['DEMO_DEVELOPER_PASSWORD']! },
      stateFile: `${s.runDir}/demo-keys.json`,
    });
    const client = await oauthClient(s.keyManagerUrl, keys.sandbox.clientId, keys.sandbox.clientSecret);
    const token = async () => (await oidc.clientCredentialsGrant(client)).access_token;
    const gateways = s.gateways;
    const gatewayAdmins = s.gatewayAdmins;
    log(`stack ${s.name}: ${gateways.length} gateways, 2 key-managers, 2 stores`);

    // ---- steady load, readiness-routed ------------------------------------------------------
    const ready = new Set(gateways);
    const failedByGateway: Record<string, number> = Object.fromEntries(gateways.map((g) => [g, 0]));
    let requests = 0;
    let stopping = false;
    const watcher = (async () => {
      while (!stopping) {
        await Promise.all(
          gateways.map(async (gw, i) => {
            const ok = (await status(`${gatewayAdmins[i]}/readyz`)) === 200;
            if (ok) ready.add(gw);
            else ready.delete(gw);
          }),
        );
        await sleep(200);
      }
    })();
    const loadTokens = [await token(), await token(), await token()];
    const loader = (async () => {
      let n = 0;
      while (!stopping) {
        const targets = [...ready];
        if (targets.length === 0) {
          await sleep(50);
          continue;
        }
        // 8 requests in parallel every 20 ms: ~400 req/s at most, bounded and gentle.
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            const gw = targets[n++ % targets.length] as string;
            const code = await status(`${gw}${SEARCH}`, loadTokens[n % loadTokens.length]);
            requests += 1;
            if (code === 0 || code >= 500) failedByGateway[gw] = (failedByGateway[gw] ?? 0) + 1;
          }),
        );
        await sleep(20);
      }
    })();

    // ---- issue and revoke, all the time -------------------------------------------------------
    let revocations = 0;
    let revocationsLost = 0;
    let revokeRequestsFailed = 0;
    let worstRefusedAfter = 0;
    const revoker = (async () => {
      while (!stopping) {
        let t: string;
        try {
          t = await token();
        } catch {
          await sleep(200);
          continue;
        }
        try {
          await oidc.tokenRevocation(client, t);
        } catch {
          revokeRequestsFailed += 1; // the client was told it failed: not a promise broken
          continue;
        }
        revocations += 1;
        const answeredAt = Date.now();
        // Every replica that is up must refuse it within the bound.
        const pending = new Set(gateways);
        while (pending.size > 0 && Date.now() - answeredAt <= REVOKE_BOUND_MS + 1000) {
          for (const gw of [...pending]) {
            const code = await status(`${gw}${SEARCH}`, t);
            if (code !== 200) pending.delete(gw);
          }
          if (pending.size > 0) await sleep(25);
        }
        const took = Date.now() - answeredAt;
        if (pending.size > 0) {
          revocationsLost += 1;
          log(`revocation LOST: still 200 at ${[...pending].join(',')} after ${took} ms`);
        } else worstRefusedAfter = Math.max(worstRefusedAfter, took);
        await sleep(150);
      }
    })();

    // ---- faults -------------------------------------------------------------------------------
    const faults: Fault[] = [];
    const revocationTopicName = `${s.name}.portico.revocations.v1`;
    const topicAdmin = new EventBus({
      brokers: cluster.brokers,
      clientId: 'chaos',
      logger: testLogger('chaos'),
    });
    const revocationTopic = await topicAdmin.admin(async (a) => {
      const meta = await a.fetchTopicMetadata({ topics: [revocationTopicName] });
      const configs = await a.describeConfigs({
        resources: [{ type: 2, name: revocationTopicName, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      const minIsr = configs.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
      return {
        name: revocationTopicName,
        replicationFactor: meta.topics[0]?.partitions[0]?.replicas.length ?? 0,
        minInsyncReplicas: minIsr ? Number(minIsr.configValue) : null,
      };
    });
    const revocationsWork = async () => {
      const t = await token();
      await oidc.tokenRevocation(client, t);
      return (await until(async () => (await status(`${gateways[0]}${SEARCH}`, t)) === 401, 3000)) !== null;
    };
    await sleep(phaseMs);

    // 1. the leader of the revocation topic's partition 0
    {
      const topic = revocationTopicName;
      const meta = await topicAdmin.admin((a) => a.fetchTopicMetadata({ topics: [topic] }));
      const leader = meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader ?? 1;
      const node = cluster.nodes[leader - 1];
      const at = since();
      await node?.kill();
      const recoveryMs = await until(revocationsWork, 60_000);
      faults.push({
        name: 'kafka-partition-leader-killed',
        at,
        recoveryMs,
        recoveredWhen: 'a new revocation is refused by a gateway',
        detail: `broker ${leader} (leader of ${topic}[0]) SIGKILLed`,
      });
      log(`fault 1: broker ${leader} killed, recovered in ${recoveryMs} ms`);
      await sleep(phaseMs);
      await node?.start();
    }

    // 2. Redis failover
    {
      const at = since();
      const { ms } = await sentinel.failover();
      const before = Object.values(failedByGateway).reduce((a, b) => a + b, 0);
      const recoveryMs = await until(async () => {
        const now = Object.values(failedByGateway).reduce((a, b) => a + b, 0);
        const quiet = now === before;
        await sleep(1000);
        return quiet && Object.values(failedByGateway).reduce((a, b) => a + b, 0) === now;
      }, 60_000);
      faults.push({
        name: 'redis-failover',
        at,
        recoveryMs,
        recoveredWhen: 'one second without a failed request',
        detail: `master SIGKILLed, replica promoted after ${ms} ms`,
      });
      log(`fault 2: redis failover in ${ms} ms, quiet after ${recoveryMs} ms`);
      await sleep(phaseMs);
    }

    if (!options.short) {
      // 3. a key-manager replica
      {
        const at = since();
        const pid = s.pid('key-manager');
        if (pid) process.kill(pid, 'SIGKILL');
        const recoveryMs = await until(async () => Boolean(await token()), 30_000);
        faults.push({
          name: 'key-manager-replica-killed',
          at,
          recoveryMs,
          recoveredWhen: 'a token is issued through the balancer',
          detail: 'key-manager (replica 1) SIGKILLed; restarted after the next phase',
        });
        log(`fault 3: key-manager killed, tokens again after ${recoveryMs} ms`);
        await sleep(phaseMs);
        await s.start('key-manager');
      }
      // 4. a gateway replica
      {
        const at = since();
        const pid = s.pid('gateway-3');
        if (pid) process.kill(pid, 'SIGKILL');
        await sleep(1000);
        await s.start('gateway-3');
        const up = await until(async () => (await status(`${gatewayAdmins[2]}/readyz`)) === 200, 60_000);
        // From the kill to ready again: the 1 s down, the start-up and the replay.
        const recoveryMs = up === null ? null : since() - at;
        faults.push({
          name: 'gateway-replica-killed-and-restarted',
          at,
          recoveryMs,
          recoveredWhen: 'the restarted replica answers /readyz (revocations replayed, read model loaded)',
          detail: 'gateway-3 SIGKILLed, restarted after 1 s',
        });
        log(`fault 4: gateway-3 back after ${recoveryMs} ms`);
        await sleep(phaseMs);
      }
    }

    stopping = true;
    await Promise.all([loader, revoker, watcher]);
    const failedRequests = Object.values(failedByGateway).reduce((a, b) => a + b, 0);
    return {
      startedAt: new Date(started).toISOString(),
      durationSeconds: Math.round(since() / 1000),
      brokers: cluster.brokers.length,
      gatewayReplicas: gateways.length,
      keyManagerReplicas: 2,
      storeReplicas: 2,
      redis: 'sentinel: 1 master, 1 replica, 3 sentinels',
      revocationTopic,
      requests,
      failedRequests,
      failedByGateway,
      revocations,
      revocationsLost,
      revokeRequestsFailed,
      revokedAcceptedAfterMs: revocations > 0 ? worstRefusedAfter : null,
      faults,
    };
  } finally {
    await stack?.close().catch(() => undefined);
    await sentinel?.dispose().catch(() => undefined);
    await cluster?.dispose().catch(() => undefined);
  }
}

export function chaosMarkdown(r: ChaosReport): string {
  const lines = [
    '# Chaos run',
    '',
    `${r.startedAt}, ${r.durationSeconds} s: ${r.brokers} Kafka brokers, Redis ${r.redis}, ${r.keyManagerReplicas} key-managers and ${r.storeReplicas} stores behind nginx, ${r.gatewayReplicas} gateway replicas, all on loopback. Reproduce: \`make chaos\`.`,
    '',
    `The revocation topic as the key-manager created it: ${r.revocationTopic.replicationFactor} replicas, min.insync.replicas ${r.revocationTopic.minInsyncReplicas ?? 'broker default'}.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| requests (readiness-routed load) | ${r.requests} |`,
    `| failed requests (5xx or connection error) | ${r.failedRequests} (${Object.entries(r.failedByGateway)
      .map(([g, n]) => `${g.replace('http://127.0.0.1:', ':')} ${n}`)
      .join(', ')}) |`,
    `| revocations answered 200 | ${r.revocations} |`,
    `| revocations lost (a replica answered 200 after ${REVOKE_BOUND_MS} ms) | ${r.revocationsLost} |`,
    `| revoke requests that failed (the client was told) | ${r.revokeRequestsFailed} |`,
    `| worst time from a revoke answer to every replica refusing | ${r.revokedAcceptedAfterMs ?? '–'} ms |`,
    '',
    '| fault | at (s) | recovery | recovered when | detail |',
    '|---|---|---|---|---|',
    ...r.faults.map(
      (f) =>
        `| ${f.name} | ${(f.at / 1000).toFixed(1)} | ${f.recoveryMs === null ? 'not within the bound' : `${f.recoveryMs} ms`} | ${f.recoveredWhen} | ${f.detail ?? ''} |`,
    ),
    '',
    'How to read it: the load sends only to replicas whose `/readyz` answers 200, polled every',
    '200 ms (as a Kubernetes Service does with its endpoints). A SIGKILLed gateway cannot drain:',
    'the requests in flight to it, and those sent before the load sees it not ready, fail; they',
    'are the failed requests counted against that replica. A broker kill and a Redis failover',
    'cost no request: revocations are published with acks=all to three replicas (two in sync),',
    'the validation cache falls through to the key-manager and the rate limits fail open while',
    'Redis cannot be asked (RATE_LIMIT_FAIL_MODE, ADR 0037). A killed key-manager replica costs',
    'the requests it was answering; the balancer sends the next ones to the other replica.',
    '',
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const short = args.includes('--short');
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? (args[outIdx + 1] as string) : join(repoRoot(), 'bench', 'results');
  const report = await runChaos({ short });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'chaos.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(out, 'chaos.md'), chaosMarkdown(report));
  console.log(chaosMarkdown(report));
  process.exit(report.revocationsLost === 0 ? 0 : 1);
}
