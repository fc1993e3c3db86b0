import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePorts, repoRoot, sharedInfra } from '../src/infra.ts';

test('sharedInfra() defaults to the local ports of scripts/infra.sh', () => {
  assert.deepEqual(sharedInfra({}), {
    mongoUrl: 'mongodb://127.0.0.1:27018/',
    kafkaBrokers: ['127.0.0.1:19092'],
    redisUrl: 'redis://127.0.0.1:16379',
  });
});

test('sharedInfra() follows PORTICO_*_PORT and prefers the URL variables', () => {
  assert.deepEqual(
    sharedInfra({ PORTICO_MONGO_PORT: '1', PORTICO_KAFKA_PORT: '2', PORTICO_REDIS_PORT: '3' }),
    { mongoUrl: 'mongodb://127.0.0.1:1/', kafkaBrokers: ['127.0.0.1:2'], redisUrl: 'redis://127.0.0.1:3' },
  );
  assert.deepEqual(
    sharedInfra({
      MONGO_URL: 'mongodb://db.test:27017/x',
      KAFKA_BROKERS: 'a:9092, b:9092,',
      REDIS_URL: 'redis://cache.test:6379',
      PORTICO_MONGO_PORT: '1',
    }),
    {
      mongoUrl: 'mongodb://db.test:27017/x',
      kafkaBrokers: ['a:9092', 'b:9092'],
      redisUrl: 'redis://cache.test:6379',
    },
  );
  assert.throws(
    () => sharedInfra({ PORTICO_REDIS_PORT: 'sixty' }),
    /PORTICO_REDIS_PORT=sixty is not a TCP port/,
  );
});

test('repoRoot() finds the workspace root', () => {
  const root = repoRoot();
  assert.ok(existsSync(path.join(root, 'pnpm-workspace.yaml')));
  assert.ok(existsSync(path.join(root, 'libs', 'testing', 'src', 'infra.ts')));
});

test('freePorts() gives distinct ports', async () => {
  const ports = await freePorts(3);
  assert.equal(new Set(ports).size, 3);
  for (const p of ports) assert.ok(p > 0 && p < 65536);
});
