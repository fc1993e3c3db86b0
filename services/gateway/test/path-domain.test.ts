/** Request-target vetting and the allowed-domain rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@portico/core';
import { checkDomain, hostOf } from '../src/pipeline/domain.ts';
import { parseTarget, withoutAccessToken } from '../src/pipeline/path.ts';
import { upstreamUrl } from '../src/plugins/access.ts';

describe('request target', () => {
  it('accepts ordinary paths byte for byte, including harmless escapes and a trailing slash', () => {
    for (const p of [
      '/a/b',
      '/a/b/',
      '/a/hello%20world',
      '/a/%C3%A9t%C3%A9',
      '/a/b.json',
      '/a/.well-known',
    ]) {
      const t = parseTarget(`${p}?q=1`);
      assert.ok(!(t instanceof AppError), p);
      assert.equal(t.path, p);
      assert.equal(t.query, 'q=1');
    }
  });

  it('refuses dot segments, empty segments, encoded separators and dots, control characters, backslashes and ;', () => {
    for (const p of [
      '/a/../b',
      '/a/./b',
      '/a//b',
      '/a/%2e%2E/b',
      '/a/%2F',
      '/a/%5c',
      '/a/%25',
      '/a/%0a',
      '/a/%7F',
      '/a\\b',
      '/a/..;/b',
      '/a/%3b',
      '/a/%G1',
      '/a/%',
      'a/b',
      'http://evil/a',
      '/a/\u00e9',
    ]) {
      assert.ok(parseTarget(p) instanceof AppError, p);
    }
  });

  it('removes only the access_token parameter from the query', () => {
    assert.equal(withoutAccessToken('a=1&access_token=x&b=%20'), 'a=1&b=%20');
    assert.equal(withoutAccessToken('access%5Ftoken=x&c'), 'c');
    assert.equal(withoutAccessToken('access_tokens=x'), 'access_tokens=x');
    // the fast path (no `%`, no literal name) must not skip an encoded or `+`-free spelling
    assert.equal(withoutAccessToken('%61ccess_token=x&q=cat'), 'q=cat');
    assert.equal(withoutAccessToken('access_token=x'), '');
    assert.equal(withoutAccessToken('q=cat+dog&n=1'), 'q=cat+dog&n=1');
  });

  it('joins the endpoint base path and the path after the context', () => {
    assert.equal(upstreamUrl('http://up:1/base/', '/x/y', 'q=1').href, 'http://up:1/base/x/y?q=1');
    assert.equal(upstreamUrl('http://up:1', '', '').href, 'http://up:1/');
  });
});

describe('allowed domains', () => {
  const allowed = ['app.example.com', '*.partner.org'];
  const names = ['origin', 'referer'];

  it('reads a bare host or a URL', () => {
    assert.equal(hostOf('App.Example.com:8443'), 'app.example.com');
    assert.equal(hostOf('https://app.example.com/x?y'), 'app.example.com');
    assert.equal(hostOf('ftp://app.example.com'), undefined);
    assert.equal(hostOf('null'), 'null');
    assert.equal(hostOf('a b'), undefined);
    assert.equal(hostOf('user@app.example.com'), undefined);
    assert.equal(hostOf('bücher.example'), 'xn--bcher-kva.example');
    assert.equal(hostOf('10.1.2.3:80'), '10.1.2.3');
  });

  it('empty list or ALL: any domain, header optional', () => {
    assert.equal(checkDomain([], {}, names), 'allowed');
    assert.equal(checkDomain(['ALL'], {}, names), 'allowed');
  });

  it('restricted: header mandatory; exact hosts and subdomains of wildcards only', () => {
    assert.equal(checkDomain(allowed, {}, names), 'missing');
    assert.equal(checkDomain(allowed, { origin: 'https://app.example.com' }, names), 'allowed');
    assert.equal(checkDomain(allowed, { referer: 'https://x.partner.org/p' }, names), 'allowed');
    assert.equal(checkDomain(allowed, { origin: 'https://partner.org' }, names), 'denied');
    assert.equal(checkDomain(allowed, { origin: 'https://evilpartner.org' }, names), 'denied');
    assert.equal(checkDomain(allowed, { origin: 'https://app.example.com.evil.io' }, names), 'denied');
    // The first present header wins: a forged-looking second header cannot override Origin.
    assert.equal(
      checkDomain(allowed, { origin: 'https://evil.io', referer: 'https://app.example.com/' }, names),
      'denied',
    );
    // A configurable header name, as WSO2 API Manager's `domain` header.
    assert.equal(checkDomain(allowed, { domain: 'app.example.com' }, ['domain']), 'allowed');
  });
});
