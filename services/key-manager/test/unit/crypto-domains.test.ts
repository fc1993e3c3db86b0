/** Pure units: keyring, hashing, domain names and partitions, validity, rate limiter. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createHasher, hashClientSecret, tokenHash, verifyClientSecret } from '../../src/crypto/hashing.ts';
import { parseKeyring } from '../../src/crypto/keyring.ts';
import { FixedWindowLimiter } from '../../src/oidc/oauthMiddleware.ts';
import {
  accessTokenValidity,
  isNeverToken,
  lifetimeOf,
  NEVER_CLAIM,
  parseDomainValidity,
} from '../../src/oidc/validity.ts';
import { Partitions, parseUserName } from '../../src/users/domains.ts';

const key = () => randomBytes(32).toString('base64');

describe('keyring', () => {
  test('seals with the first key, opens with any, binds the AAD', () => {
    const old = parseKeyring(`k1:${key()}`);
    const spec = `k2:${key()}`;
    const sealedOld = old.seal('hello', 'a|1');
    assert.equal(sealedOld.kid, 'k1');
    assert.equal(old.open(sealedOld, 'a|1'), 'hello');
    assert.equal(old.open(sealedOld, 'a|2'), undefined, 'other document');
    assert.equal(parseKeyring(spec).open(sealedOld, 'a|1'), undefined, 'unknown kid');
    const tampered = { ...sealedOld, ct: Buffer.from('x').toString('base64') };
    assert.equal(old.open(tampered, 'a|1'), undefined);
  });

  test('rejects malformed keyrings', () => {
    assert.throws(() => parseKeyring('nokey'));
    assert.throws(() => parseKeyring(`k1:${randomBytes(16).toString('base64')}`));
    assert.throws(() => parseKeyring(`k1:${key()},k1:${key()}`));
    assert.equal(parseKeyring('').enabled, false);
  });
});

describe('hashing', () => {
  test('stored ids are keyed; the shared token hash is plain SHA-256', () => {
    assert.notEqual(createHasher('a'.repeat(32)).storedId('t'), createHasher('b'.repeat(32)).storedId('t'));
    assert.equal(tokenHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('client secrets verify only with the right secret and key', () => {
    const stored = hashClientSecret('k'.repeat(32), 'cs_secret');
    assert.ok(!stored.includes('cs_secret'));
    assert.ok(verifyClientSecret('k'.repeat(32), 'cs_secret', stored));
    assert.ok(!verifyClientSecret('k'.repeat(32), 'cs_secreT', stored));
    assert.ok(!verifyClientSecret('j'.repeat(32), 'cs_secret', stored));
  });
});

describe('user names and partitions', () => {
  const domains = new Set(['PRIMARY', 'PARTNERS.EXAMPLE.COM']);
  test('canonical DOMAIN/name; a name never selects another domain', () => {
    assert.deepEqual(parseUserName('alice', domains), {
      domain: 'PRIMARY',
      name: 'alice',
      canonical: 'PRIMARY/alice',
    });
    assert.equal(parseUserName(' partners.example.com /bob', domains)?.canonical, 'PARTNERS.EXAMPLE.COM/bob');
    for (const bad of [
      'UNKNOWN.COM/bob',
      'PRIMARY/a/b',
      'PRIMARY/',
      '/bob',
      'a b',
      '',
      '../x',
      'PRIMARY/.hidden',
    ]) {
      assert.equal(parseUserName(bad, domains), undefined, bad);
    }
  });

  test('partition prefix round trip; unknown prefix is null', () => {
    const p = new Partitions(['A:partners.example.com'], domains);
    assert.equal(p.prefix('xyz', 'PARTNERS.EXAMPLE.COM'), 'A~xyz');
    assert.equal(p.prefix('xyz', 'PRIMARY'), 'xyz');
    assert.equal(p.ofToken('A~xyz'), 'A');
    assert.equal(p.ofToken('xyz'), undefined);
    assert.equal(p.ofToken('B~xyz'), null);
    assert.throws(() => new Partitions(['A:UNKNOWN.COM'], domains));
    assert.throws(() => new Partitions(['A-1:PRIMARY'], domains));
  });
});

describe('validity', () => {
  test('precedence and "never"', () => {
    const policy = {
      application: 3600,
      user: 1800,
      refresh: 86400,
      perDomain: parseDomainValidity(['STAFF:-1']),
    };
    assert.equal(accessTokenValidity(policy, 'application', null, undefined), 3600);
    assert.equal(accessTokenValidity(policy, 'user', null, 'PRIMARY'), 1800);
    assert.equal(accessTokenValidity(policy, 'user', null, 'STAFF'), -1);
    assert.equal(accessTokenValidity(policy, 'user', 60, 'STAFF'), 60);
    assert.ok(lifetimeOf(-1) > 0, 'oidc-provider gets a positive technical lifetime for "never"');
    assert.equal(lifetimeOf(3600), 3600);
    assert.ok(isNeverToken({ [NEVER_CLAIM]: true }));
    assert.ok(!isNeverToken({}));
    assert.throws(() => parseDomainValidity(['STAFF:0']));
  });
});

describe('rate limiter', () => {
  test('fixed window: over the limit until the window resets', () => {
    const limiter = new FixedWindowLimiter(2, 1000);
    assert.equal(limiter.hit('a', 0), 0);
    assert.equal(limiter.hit('a', 10), 0);
    assert.equal(limiter.hit('a', 20), 1);
    assert.equal(limiter.hit('b', 20), 0);
    assert.equal(limiter.hit('a', 1000), 0);
  });
});
