import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { closeServer } from '../src/lifecycle.ts';

test('closeServer lets a request in flight finish, then closes its keep-alive connection', {
  timeout: 3000,
}, async () => {
  const server = createServer((_req, res) => setTimeout(() => res.end('done'), 200));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  // fetch keeps the connection alive after the response.
  const answer = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  let closed = false;
  const closing = closeServer(server).then(() => {
    closed = true;
  });
  assert.equal(await answer, 'done');
  // Without closing the connection once idle, close() would wait for the keep-alive timeout
  // (65 s in `listen`, 5 s by default) and the 3 s test timeout would fail this test.
  await closing;
  assert.equal(closed, true);
});
