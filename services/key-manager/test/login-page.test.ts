/**
 * The key-manager's own pages (login, consent, errors) look like the portal they belong to and
 * have an icon: before, a bare unstyled form next to the portal, and /favicon.ico was a 404.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginPage, PAGE_CSP, STYLESHEET } from '../src/oidc/pages.ts';
import type { Running } from './harness.ts';
import { startKeyManager } from './harness.ts';

let km: Running;
before(async () => {
  km = await startKeyManager();
});
after(async () => {
  await km?.close();
});

test('the key-manager serves the portal icon at /favicon.ico and at the icon its pages link', async () => {
  for (const path of ['/favicon.ico', '/assets/favicon.svg']) {
    const res = await fetch(`${km.issuer}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^image\/svg\+xml/, path);
    assert.match(await res.text(), /^<svg [^>]*viewBox="0 0 32 32".*<\/svg>$/s, path);
  }
});

test('the sign-in page carries the portal brand (top bar, Portico name, colours) and links the icon, with no inline style or script', async () => {
  const html = loginPage({ uid: 'abc', clientName: 'Portico developer portal' });
  assert.match(html, /<title>Sign in · Portico<\/title>/);
  assert.match(html, /<header class="topbar">.*class="brand-mark"[^>]*>P<\/span>Portico/s);
  assert.match(html, /<link rel="icon" href="\/assets\/favicon.svg" type="image\/svg\+xml">/);
  assert.match(html, /<label for="username">Username \(DOMAIN\/name\)<\/label>/);
  assert.doesNotMatch(html, /<style|style=|<script/, 'the CSP forbids inline style and script');
  assert.match(PAGE_CSP, /style-src 'self'/);
  assert.doesNotMatch(PAGE_CSP, /unsafe-inline/);
  assert.match(STYLESHEET, /#141a2e/, 'the portal top bar colour');
  assert.match(STYLESHEET, /--primary:#2f4bd8/, 'the portal primary colour');

  // Served pages share the layout (an unknown interaction's error page) and send the CSP.
  const res = await fetch(`${km.issuer}/interaction/doesnotexist`);
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('content-security-policy'), PAGE_CSP);
  const page = await res.text();
  assert.match(page, /class="brand-mark"/);
  assert.match(page, /href="\/assets\/favicon.svg"/);
  const css = await fetch(`${km.issuer}/assets/portico.css`);
  assert.equal(css.status, 200);
  assert.match(await css.text(), /\.topbar\{background:#141a2e/);
});
