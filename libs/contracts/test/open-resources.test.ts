import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOpenResource, openResourcePathProblem } from '../src/open-resources.ts';

test('open resources match by method and pattern: literal, {name} = one segment, a final * = any rest', () => {
  const open = [
    { method: 'GET', path: '/status' },
    { method: '*', path: '/public/*' },
    { method: 'GET', path: '/items/{id}' },
  ] as const;
  const yes: Array<[string, string]> = [
    ['GET', '/status'],
    ['POST', '/public'],
    ['DELETE', '/public/a/b'],
    ['GET', '/items/42'],
  ];
  const no: Array<[string, string]> = [
    ['POST', '/status'],
    ['GET', '/status/x'],
    ['GET', '/statusx'],
    ['GET', '/items'],
    ['GET', '/items/'],
    ['GET', '/items/42/x'],
    ['GET', '/publicity'],
    ['GET', ''],
  ];
  for (const [m, p] of yes) assert.equal(isOpenResource(open, m, p), true, `${m} ${p}`);
  for (const [m, p] of no) assert.equal(isOpenResource(open, m, p), false, `${m} ${p}`);
  assert.equal(isOpenResource([{ method: '*', path: '/*' }], 'GET', ''), true, 'the whole API');
  assert.equal(isOpenResource([], 'GET', '/status'), false);
});

test('patterns are refused when they are not a path of segments', () => {
  for (const ok of ['/', '/*', '/a', '/a/{id}/b', '/a/*', '/v1.2/x~y'])
    assert.equal(openResourcePathProblem(ok), undefined, ok);
  for (const bad of ['a', '/a/*/b', '/a/../b', '/a//b', '/{1x}', '/a b', `/${'a'.repeat(600)}`])
    assert.ok(openResourcePathProblem(bad), bad);
});
