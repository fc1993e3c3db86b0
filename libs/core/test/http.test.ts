import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { HealthCheck } from '../src/index.ts';
import {
  AppError,
  badRequest,
  createHttpApp,
  createLogger,
  createMetrics,
  jsonBody,
  unavailable,
} from '../src/index.ts';

function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger({ name: 't', level: 'debug', destination }), lines };
}

async function serve(readiness: HealthCheck[] = [], draining = () => false) {
  const { logger, lines } = memoryLogger();
  const app = createHttpApp({ logger, metrics: createMetrics('t'), readiness, isDraining: draining }, (a) => {
    a.post('/echo', jsonBody(1024), (req, res) => {
      res.json({ got: req.body });
    });
    a.get('/bad', () => {
      throw badRequest('name is required', [{ path: 'name' }]);
    });
    a.get('/boom', () => {
      throw new Error('db password is hunter2');
    });
    a.get('/down', () => {
      throw unavailable('Key manager unreachable', 7);
    });
    a.get('/teapot', () => {
      // @ts-expect-error 'teapot' is not in the closed list of codes: it must not compile
      throw new AppError('short and stout', { status: 418, code: 'teapot' });
    });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, lines, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('errors are rendered in one JSON shape with a machine code and the request id', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await fetch(`${s.base}/bad`, { headers: { 'x-request-id': 'req-123' } });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-request-id'), 'req-123');
  assert.deepEqual(await res.json(), {
    error: {
      code: 'bad_request',
      message: 'name is required',
      requestId: 'req-123',
      details: [{ path: 'name' }],
    },
  });
  const teapot = await fetch(`${s.base}/teapot`);
  assert.equal(teapot.status, 418);
  assert.equal(((await teapot.json()) as { error: { code: string } }).error.code, 'teapot');
});

test('unknown routes answer 404 in the common shape', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await fetch(`${s.base}/nope`);
  assert.equal(res.status, 404);
  const body = (await res.json()) as { error: { code: string; requestId: string } };
  assert.equal(body.error.code, 'not_found');
  assert.ok(body.error.requestId.length > 0);
});

test('unexpected errors become a generic 500 without internals', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await fetch(`${s.base}/boom`);
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.doesNotMatch(text, /hunter2/);
  assert.equal((JSON.parse(text) as { error: { message: string } }).error.message, 'Internal server error');
});

test('503 carries Retry-After', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await fetch(`${s.base}/down`);
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '7');
});

test('malformed JSON is 400, oversized body is 413, and the process stays up', async (t) => {
  const s = await serve();
  t.after(s.close);
  const bad = await fetch(`${s.base}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":',
  });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_json');
  const big = await fetch(`${s.base}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ a: 'x'.repeat(5000) }),
  });
  assert.equal(big.status, 413);
  const ok = await fetch(`${s.base}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  assert.deepEqual(await ok.json(), { got: { a: 1 } });
});

test('a malformed request id is replaced', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await fetch(`${s.base}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.notEqual(res.headers.get('x-request-id'), 'bad id with spaces');
});

test('readiness reflects checks and draining', async (t) => {
  let healthy = false;
  let draining = false;
  const s = await serve(
    [
      {
        name: 'dep',
        check: () => {
          if (!healthy) throw new Error('dep down');
        },
      },
    ],
    () => draining,
  );
  t.after(s.close);
  let res = await fetch(`${s.base}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'not_ready', checks: { dep: 'dep down' } });
  healthy = true;
  res = await fetch(`${s.base}/readyz`);
  assert.equal(res.status, 200);
  draining = true;
  res = await fetch(`${s.base}/readyz`);
  assert.equal(res.status, 503);
  assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
});

test('metrics are exposed in Prometheus format', async (t) => {
  const s = await serve();
  t.after(s.close);
  await fetch(`${s.base}/healthz`);
  const text = await (await fetch(`${s.base}/metrics`)).text();
  assert.match(text, /http_request_duration_seconds_bucket\{.*route="\/healthz"/);
  assert.match(text, /process_resident_memory_bytes/);
});

test('access logs never contain the query string or credentials', async (t) => {
  const s = await serve();
  t.after(s.close);
  await fetch(`${s.base}/nope?access_token=sekrit-token`, {
    headers: { authorization: 'Bearer sekrit-token' },
  });
  const logged = s.lines.join('\n');
  assert.match(logged, /"path":"\/nope"/);
  assert.doesNotMatch(logged, /sekrit-token/);
});
