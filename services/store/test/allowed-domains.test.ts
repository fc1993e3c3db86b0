import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainAllowed, normalizeAllowedDomains } from '../src/domain/allowed-domains.ts';

describe('allowed domains', () => {
  it('treats empty and ALL as any domain', () => {
    assert.deepEqual(normalizeAllowedDomains([]), { ok: true, domains: [] });
    assert.deepEqual(normalizeAllowedDomains(['ALL']), { ok: true, domains: [] });
    assert.deepEqual(normalizeAllowedDomains(['  all ']), { ok: true, domains: [] });
    assert.equal(domainAllowed([], 'anything.example'), true);
  });

  it('normalizes case, trailing dots, IDNs and duplicates', () => {
    const r = normalizeAllowedDomains([
      'App.Example.COM.',
      'app.example.com',
      '*.Example.org',
      'bücher.example',
    ]);
    assert.deepEqual(r, { ok: true, domains: ['app.example.com', '*.example.org', 'xn--bcher-kva.example'] });
  });

  it('matches wildcards on sub-domains only', () => {
    const allowed = ['*.example.com', 'api.other.net'];
    assert.equal(domainAllowed(allowed, 'a.example.com'), true);
    assert.equal(domainAllowed(allowed, 'a.b.example.com'), true);
    assert.equal(domainAllowed(allowed, 'example.com'), false);
    assert.equal(domainAllowed(allowed, 'evilexample.com'), false);
    assert.equal(domainAllowed(allowed, 'API.other.net'), true);
  });

  it('rejects schemes, ports, paths, misplaced wildcards and garbage with a message per entry', () => {
    for (const bad of [
      'https://app.example.com',
      'app.example.com:8443',
      'app.example.com/path',
      'a.*.example.com',
      '*',
      '*.com',
      '-bad.example.com',
      'exa mple.com',
      'user@example.com',
      `${'a'.repeat(64)}.com`,
      '1.2.3.4.5',
    ]) {
      const r = normalizeAllowedDomains([bad]);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.problems[0]!, /"/);
    }
    const mixed = normalizeAllowedDomains(['ALL', 'app.example.com']);
    assert.equal(mixed.ok, false);
  });

  it('rejects empty labels (a..example.com, *..com, .example.com, example.com..)', () => {
    for (const bad of ['a..example.com', '*..com', '.example.com', 'example.com..', '*.', '..']) {
      assert.equal(normalizeAllowedDomains([bad]).ok, false, bad);
    }
  });

  it('accepts plain IPv4 addresses but not wildcards over them', () => {
    assert.deepEqual(normalizeAllowedDomains(['10.0.0.1']), { ok: true, domains: ['10.0.0.1'] });
    assert.equal(normalizeAllowedDomains(['*.10.0.0.1']).ok, false);
  });
});
