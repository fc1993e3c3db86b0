import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkValidity, NEVER_EXPIRES } from '../src/token-validity.ts';

const bounds = { defaultSeconds: 3600, minSeconds: 60, maxSeconds: 86_400, allowNeverExpires: true };

test('token validity: within the bounds as given, any negative is "never" when allowed, the rest names the rule', () => {
  assert.deepEqual(checkValidity(60, bounds), { ok: true, seconds: 60 });
  assert.deepEqual(checkValidity(86_400, bounds), { ok: true, seconds: 86_400 });
  assert.deepEqual(checkValidity(-5, bounds), { ok: true, seconds: NEVER_EXPIRES });
  assert.deepEqual(checkValidity(59, bounds), { ok: false, rule: 'out_of_bounds' });
  assert.deepEqual(checkValidity(0, bounds), { ok: false, rule: 'out_of_bounds' });
  assert.deepEqual(checkValidity(86_401, bounds), { ok: false, rule: 'out_of_bounds' });
  assert.deepEqual(checkValidity(90.5, bounds), { ok: false, rule: 'out_of_bounds' });
  assert.deepEqual(checkValidity(-1, { ...bounds, allowNeverExpires: false }), {
    ok: false,
    rule: 'never_not_allowed',
  });
});
