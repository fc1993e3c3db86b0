import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkKeyGrants,
  describeKeyGrantsProblems,
  isCallbackUrl,
  KEY_GRANT_TYPES,
  MAX_CALLBACK_URL_LENGTH,
  MAX_CALLBACK_URLS,
} from '../src/key-grants.ts';

const cb = 'https://app.example.com/cb';
const rules = (grantTypes: unknown[], callbackUrls: unknown[] = []) => {
  const check = checkKeyGrants({ grantTypes, callbackUrls });
  return check.ok ? 'ok' : check.problems.map((p) => `${p.field}${p.index ?? ''}:${p.rule}`).join(',');
};

test('key grants: the four grant types, alone or in the combinations that make sense', () => {
  assert.deepEqual([...KEY_GRANT_TYPES].sort(), [
    'authorization_code',
    'client_credentials',
    'password',
    'refresh_token',
  ]);
  assert.equal(rules(['client_credentials']), 'ok');
  assert.equal(rules(['password']), 'ok');
  assert.equal(rules(['password', 'refresh_token']), 'ok');
  assert.equal(rules(['authorization_code', 'refresh_token'], [cb]), 'ok');
  assert.equal(rules(['client_credentials', 'password', 'authorization_code', 'refresh_token'], [cb]), 'ok');
  // refresh_token only alongside a grant that issues refresh tokens
  assert.equal(rules(['refresh_token']), 'grantTypes:invalid_grant_types');
  assert.equal(rules(['client_credentials', 'refresh_token']), 'grantTypes:invalid_grant_types');
  // none, unknown, or not a string
  assert.equal(rules([]), 'grantTypes:invalid_grant_types');
  assert.equal(rules(['urn:ietf:params:oauth:grant-type:jwt-bearer']), 'grantTypes0:invalid_grant_types');
  assert.equal(rules(['implicit', 'client_credentials']), 'grantTypes0:invalid_grant_types');
  assert.equal(rules([42]), 'grantTypes0:invalid_grant_types');
  // authorization_code needs a callback URL
  assert.equal(rules(['authorization_code']), 'callbackUrls:callback_required');
});

test('key grants: duplicates are dropped, order kept', () => {
  assert.deepEqual(
    checkKeyGrants({
      grantTypes: ['password', 'refresh_token', 'password'],
      callbackUrls: [cb, cb, `${cb}2`],
    }),
    { ok: true, grantTypes: ['password', 'refresh_token'], callbackUrls: [cb, `${cb}2`] },
  );
});

test('callback URLs: absolute https, http only for loopback hosts, no fragment or user info, bounded', () => {
  for (const ok of [
    cb,
    'https://app.example.com:8443/cb?x=1',
    'http://127.0.0.1:8080/cb',
    'http://[::1]/cb',
    'http://localhost:3000/callback',
    `https://a.example/${'x'.repeat(MAX_CALLBACK_URL_LENGTH - 'https://a.example/'.length)}`,
  ]) {
    assert.equal(isCallbackUrl(ok), true, ok);
  }
  for (const bad of [
    'http://app.example.com/cb',
    'http://localhost.evil.example/cb',
    'http://127.0.0.2/cb',
    'https://app.example.com/cb#frag',
    'https://app.example.com/cb#',
    'https://user:pw@app.example.com/cb',
    'javascript:alert(1)',
    'com.example.app:/cb',
    '/relative/cb',
    'app.example.com/cb',
    '',
    `https://a.example/${'x'.repeat(MAX_CALLBACK_URL_LENGTH)}`,
    42,
  ]) {
    assert.equal(isCallbackUrl(bad), false, String(bad));
  }
  assert.equal(
    rules(['authorization_code'], ['http://app.example.com/cb']),
    'callbackUrls0:invalid_callback_url',
  );
  const many = Array.from({ length: MAX_CALLBACK_URLS + 1 }, (_, i) => `${cb}${i}`);
  assert.equal(rules(['authorization_code'], many), 'callbackUrls:invalid_callback_url');
  assert.equal(rules(['authorization_code'], many.slice(1)), 'ok');
});

test("key grants: the problems read as field messages in the caller's names", () => {
  const check = checkKeyGrants({ grantTypes: ['refresh_token'], callbackUrls: ['http://x.example/cb'] });
  assert.equal(check.ok, false);
  if (check.ok) return;
  assert.equal(
    describeKeyGrantsProblems(check.problems, { grantTypes: 'grantTypes', callbackUrls: 'redirectUris' }),
    'grantTypes: refresh_token needs the authorization_code or password grant; redirectUris[0]: must be an absolute https URL (http only for 127.0.0.1, [::1], localhost) without fragment or user info, at most 2000 characters',
  );
});
