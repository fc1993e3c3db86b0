/**
 * The HTTP introspection adapter against a local RFC 7662 endpoint: credentials and form,
 * answer mapping, failures as "unavailable", and the cap on calls in flight.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@portico/testing';
import { HttpIntrospector } from '../src/auth/introspection.ts';

let server: Server;
let endpoint: string;
let handler: (req: IncomingMessage, body: string, res: ServerResponse) => void = () => {};

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token/introspection`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const introspector = (over: Partial<ConstructorParameters<typeof HttpIntrospector>[0]> = {}) =>
  new HttpIntrospector({
    endpoint,
    clientId: 'portico gateway',
    clientSecret: 's3cr:t',
    timeoutMs: 1000,
    maxConcurrency: 8,
    ...over,
  });

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
};

describe('HTTP introspection', () => {
  it('authenticates with form-encoded client_secret_basic and maps active answers', async () => {
    let seen: { auth?: string; body?: string } = {};
    handler = (req, body, res) => {
      seen = { auth: req.headers.authorization, body };
      json(
        res,
        200,
        new URLSearchParams(body).get('token') === 'good'
          ? { active: true, client_id: 'c1' }
          : { active: false },
      );
    };
    const answer = await introspector().introspect('good');
    assert.equal(answer.active, true);
    assert.equal(answer.active && answer['client_id'], 'c1');
    assert.equal(seen.auth, `Basic ${Buffer.from('portico%20gateway:s3cr%3At').toString('base64')}`);
    assert.equal(new URLSearchParams(seen.body).get('token_type_hint'), 'access_token');
    assert.deepEqual(await introspector().introspect('bad'), { active: false });
  });

  it('reports 401/5xx, non-JSON, answers without `active` and timeouts as unavailable', async () => {
    for (const respond of [
      (res: ServerResponse) => json(res, 401, { error: 'invalid_client' }),
      (res: ServerResponse) => json(res, 503, {}),
      (res: ServerResponse) => res.end('not json'),
      (res: ServerResponse) => json(res, 200, { client_id: 'c1' }),
      () => {},
    ]) {
      handler = (_req, _body, res) => respond(res);
      await assert.rejects(introspector({ timeoutMs: 300 }).introspect('t'), {
        name: 'VerificationUnavailable',
      });
    }
  });

  it('keeps at most maxConcurrency calls in flight; the others wait for a slot or give up at the timeout', async () => {
    let inFlight = 0;
    let peak = 0;
    const held: ServerResponse[] = [];
    handler = (_req, _body, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      held.push(res);
    };
    const capped = introspector({ maxConcurrency: 2, timeoutMs: 5000 });
    const calls = Array.from({ length: 5 }, () => capped.introspect('t'));
    await waitFor(() => held.length === 2, { message: 'the first two calls did not arrive' });
    // Answer one at a time: each answer frees exactly one slot.
    for (let answered = 0; answered < 5; answered += 1) {
      await waitFor(() => held.length > 0);
      inFlight -= 1;
      json(held.shift() as ServerResponse, 200, { active: false });
    }
    await Promise.all(calls);
    assert.equal(peak, 2);

    handler = () => {}; // never answers
    const stuck = introspector({ maxConcurrency: 1, timeoutMs: 300 });
    const results = await Promise.allSettled([stuck.introspect('a'), stuck.introspect('b')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(
      String((results[1] as PromiseRejectedResult).reason.message),
      /too many calls in flight|unreachable/,
    );
  });
});
