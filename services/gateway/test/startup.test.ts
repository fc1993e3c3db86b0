/**
 * A replica that cannot replay the revocations topic (Kafka unreachable) is alive but not ready,
 * and answers 503 with Retry-After to token-bearing requests: never 200, never 401.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { freePorts, sharedInfra, uniqueName } from '@portico/testing';
import { snapshotFixture } from './support/fixtures.ts';
import type { GatewayReplica } from './support/processes.ts';
import { httpOk, serviceProcess } from './support/processes.ts';

let gw: GatewayReplica;

before(async () => {
  const [port, adminPort, deadKafka] = (await freePorts(3)) as [number, number, number];
  const file = path.join(tmpdir(), `${uniqueName('readmodel')}.json`);
  await writeFile(file, JSON.stringify(snapshotFixture({ upstreamUrl: 'http://127.0.0.1:9' })));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc = await serviceProcess(
    'gw-nokafka',
    'services/gateway/src/main.ts',
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      KAFKA_BROKERS: `127.0.0.1:${deadKafka}`,
      READ_MODEL_FILE: file,
      REDIS_URL: sharedInfra().redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName('gwstart')}:`,
      KEY_MANAGER_URL: 'http://127.0.0.1:9',
    },
    () => httpOk(`${adminUrl}/healthz`),
  );
  gw = Object.assign(proc, { url: `http://127.0.0.1:${port}`, adminUrl });
  await gw.start();
});

after(async () => {
  await gw?.dispose();
});

it('is live but not ready while the revocations are not replayed, and answers 503 with Retry-After', async () => {
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  assert.equal(ready.status, 503);
  const report = (await ready.json()) as { checks: Record<string, string> };
  assert.notEqual(report.checks['revocations'], 'ok');
  assert.notEqual(report.checks['read-model'], 'ok');
  const res = await fetch(`${gw.url}/twitter/1.0.0/x`, { headers: { authorization: 'Bearer some-token' } });
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  const body = (await res.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'verification_unavailable');
});
