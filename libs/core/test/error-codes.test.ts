import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, isErrorCode } from '../src/error-codes.ts';

const DOC = new URL('../../../docs/error-codes.md', import.meta.url);

test('docs/error-codes.md lists exactly the closed list of error codes', () => {
  const documented = [...readFileSync(DOC, 'utf8').matchAll(/^\| `([a-z_]+)` \| \d{3} \|/gm)].map(
    (m) => m[1],
  );
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  assert.equal(new Set(documented).size, documented.length, 'a code is documented twice');
});

test('isErrorCode accepts listed codes only', () => {
  assert.equal(isErrorCode('unknown_tier'), true);
  assert.equal(isErrorCode('teapot'), false);
  assert.equal(isErrorCode('toString'), false);
});
