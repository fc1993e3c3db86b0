import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../src/index.ts';

test('credentials are redacted at any of the first nesting levels', () => {
  const out: string[] = [];
  const destination = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c.toString());
      cb();
    },
  });
  const logger = createLogger({ name: 't', destination });
  logger.info(
    {
      password: 'p1',
      client_secret: 's1',
      req: { headers: { authorization: 'Bearer t1', cookie: 'sid=c1', 'x-jwt-assertion': 'j1' } },
      body: { access_token: 't2', refresh_token: 'r1', nested: { token: 't3' } },
      params: { code: 'c2' },
      err: { code: 'EADDRINUSE' },
      safe: 'visible',
    },
    'hello',
  );
  const line = out.join('');
  for (const secret of ['p1', 's1', 't1', 'c1', 'c2', 'j1', 't2', 'r1', 't3']) {
    assert.doesNotMatch(line, new RegExp(`"${secret}"`), `${secret} leaked: ${line}`);
  }
  assert.match(line, /"safe":"visible"/);
  assert.match(line, /"code":"EADDRINUSE"/, 'error codes stay readable');
  assert.match(line, /"level":"info"/);
});
