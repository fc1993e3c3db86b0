import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkValidity,
  isNeverExpires,
  MAX_VALIDITY_SECONDS,
  NEVER_EXPIRES,
  parseTokenValidity,
  serializeTokenValidity,
} from '../src/token-validity.ts';

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

test('token validity: one parse for every input; no positive value is "never", longer than the maximum is refused', () => {
  const sixtyYears = 60 * 365 * 86_400;
  assert.deepEqual(parseTokenValidity(-1), { ok: true, validity: NEVER_EXPIRES });
  assert.deepEqual(parseTokenValidity(-86_400), { ok: true, validity: NEVER_EXPIRES });
  assert.deepEqual(parseTokenValidity(MAX_VALIDITY_SECONDS), { ok: true, validity: MAX_VALIDITY_SECONDS });
  assert.ok(!isNeverExpires(MAX_VALIDITY_SECONDS));
  for (const bad of [0, 1.5, sixtyYears, MAX_VALIDITY_SECONDS + 1, '60', null]) {
    assert.equal(parseTokenValidity(bad).ok, false, String(bad));
  }
  assert.equal(serializeTokenValidity(NEVER_EXPIRES), NEVER_EXPIRES);
  // Store bounds above the maximum do not widen it.
  assert.deepEqual(checkValidity(sixtyYears, { ...bounds, maxSeconds: 100 * 365 * 86_400 }), {
    ok: false,
    rule: 'out_of_bounds',
  });
});
