/** Browser sign-in (with the identity-provider twin), session cookie and CSRF rules. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { safeReturnTo } from '../src/http/routes/identity.ts';
import { MemoryIdentityProvider } from '../src/identity/memory.ts';
import type { Harness } from './harness.ts';
import { ALICE, startHarness } from './harness.ts';

function cookiesOf(res: { headers: Headers }): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...rest] = line.split(';');
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i), { value: pair.slice(i + 1), attrs: rest.join(';').toLowerCase() });
  }
  return out;
}

async function signIn(h: Harness, idp: MemoryIdentityProvider, returnTo = '/apps') {
  const start = await h.call('GET', `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  assert.equal(start.status, 302);
  const location = new URL(start.headers.get('location')!);
  const state = location.searchParams.get('state')!;
  const loginCookie = cookiesOf(start).get('portico_login')!;
  const code = idp.authorize(state, { subject: ALICE, roles: ['developer'] });
  const cb = await h.call('GET', `/auth/callback?state=${state}&code=${code}`, {
    headers: { cookie: `portico_login=${loginCookie.value}` },
  });
  return { start, cb, state, loginCookie, code };
}

describe('identity: sessions and CSRF', () => {
  let h: Harness;
  let idp: MemoryIdentityProvider;

  before(async () => {
    idp = new MemoryIdentityProvider();
    h = await startHarness({ identity: idp, consume: false });
  });
  after(() => h.close());

  it('signs in through the provider and sets an HttpOnly SameSite=Lax session cookie', async () => {
    const { start, cb } = await signIn(h, idp);
    assert.match(start.headers.get('location')!, /^https:\/\/identity\.test\/auth\?/);
    assert.equal(cb.status, 302, JSON.stringify(cb.body));
    assert.equal(cb.headers.get('location'), '/apps');
    const session = cookiesOf(cb).get('portico_session')!;
    assert.ok(session.value.length >= 40);
    assert.match(session.attrs, /httponly/);
    assert.match(session.attrs, /samesite=lax/);
    assert.doesNotMatch(session.attrs, /secure/, 'plain http in tests: no Secure flag');
    const me = await h.call('GET', '/api/v1/me', { headers: { cookie: `portico_session=${session.value}` } });
    assert.equal(me.status, 200);
    assert.equal(me.body.subject, ALICE);
    assert.equal(me.body.authenticatedBy, 'session');
    assert.ok(me.body.csrfToken);
    // the session id is stored only hashed
    const stored = await h.store.models.sessions.collection.findOne({});
    assert.equal(JSON.stringify(stored).includes(session.value), false);
  });

  it('requires the CSRF token on cookie-authenticated writes, not on bearer calls', async () => {
    const { cb } = await signIn(h, idp);
    const cookie = `portico_session=${cookiesOf(cb).get('portico_session')!.value}`;
    const me = (await h.call('GET', '/api/v1/me', { headers: { cookie } })).body;
    const body = { name: 'From the browser' };
    const missing = await h.call('POST', '/api/v1/applications', { headers: { cookie }, body });
    assert.equal(missing.status, 403);
    assert.equal(missing.body.error.code, 'csrf_failed');
    const wrong = await h.call('POST', '/api/v1/applications', {
      headers: { cookie, 'x-csrf-token': 'nope' },
      body,
    });
    assert.equal(wrong.status, 403);
    const ok = await h.call('POST', '/api/v1/applications', {
      headers: { cookie, 'x-csrf-token': me.csrfToken },
      body,
    });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.owner, ALICE);
    const bearer = await h.call('POST', '/api/v1/applications', {
      token: h.user(ALICE),
      body: { name: 'From CI' },
    });
    assert.equal(bearer.status, 201);
    // logout ends the session
    const out = await h.call('POST', '/auth/logout', { headers: { cookie, 'x-csrf-token': me.csrfToken } });
    assert.equal(out.status, 204);
    assert.equal((await h.call('GET', '/api/v1/me', { headers: { cookie } })).status, 401);
  });

  it('refuses a callback from another browser, a replayed state and provider errors', async () => {
    const start = await h.call('GET', '/auth/login');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const code = idp.authorize(state, { subject: ALICE, roles: ['developer'] });
    const noCookie = await h.call('GET', `/auth/callback?state=${state}&code=${code}`);
    assert.equal(noCookie.status, 400, 'login CSRF: the state must come back to the browser that started');
    const { cb, state: used, loginCookie, code: usedCode } = await signIn(h, idp);
    assert.equal(cb.status, 302);
    const replay = await h.call('GET', `/auth/callback?state=${used}&code=${usedCode}`, {
      headers: { cookie: `portico_login=${loginCookie.value}` },
    });
    assert.equal(replay.status, 400);
    const denied = await h.call('GET', '/auth/callback?error=access_denied&state=x');
    assert.equal(denied.status, 400);
    assert.equal(denied.body.error.code, 'login_failed');
  });

  it('answers 503 when the provider is unreachable, never "signed out"', async () => {
    const token = h.user(ALICE);
    idp.down = true;
    try {
      const res = await h.call('GET', '/api/v1/applications', { token });
      assert.equal(res.status, 503);
      assert.ok(res.headers.get('retry-after'));
      assert.equal((await h.call('GET', '/auth/login')).status, 503);
    } finally {
      idp.down = false;
    }
  });

  it('a returnTo with a tab (which browsers drop, leaving //evil) or non-ASCII lands on / after sign-in, never a 500', async () => {
    for (const returnTo of ['/\t/evil.example/phish', '/caf\u00e9']) {
      const { cb } = await signIn(h, idp, returnTo);
      assert.equal(cb.status, 302, returnTo);
      assert.equal(cb.headers.get('location'), '/', returnTo);
    }
  });

  it('only redirects to same-origin paths after sign-in', () => {
    assert.equal(safeReturnTo('/apps/1?x=y'), '/apps/1?x=y');
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'apps',
      '/a\r\nSet-Cookie: x',
      '/\t/evil.example/phish',
      '/\n/evil.example',
      '/ /evil.example',
      '/caf\u00e9',
      '/\u0000',
    ]) {
      assert.equal(safeReturnTo(bad), '/', bad);
    }
  });
});

describe('identity: Secure cookies under TLS', () => {
  let h: Harness;
  let idp: MemoryIdentityProvider;
  before(async () => {
    idp = new MemoryIdentityProvider();
    h = await startHarness({
      identity: idp,
      consume: false,
      env: { PUBLIC_URL: 'https://portal.example.com' },
    });
  });
  after(() => h.close());

  it('marks the cookies Secure and uses the __Host- prefix', async () => {
    const start = await h.call('GET', '/auth/login');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    assert.match(cookiesOf(start).get('portico_login')!.attrs, /secure/);
    const code = idp.authorize(state, { subject: ALICE, roles: ['developer'] });
    const cb = await h.call('GET', `/auth/callback?state=${state}&code=${code}`, {
      headers: { cookie: `portico_login=${cookiesOf(start).get('portico_login')!.value}` },
    });
    assert.equal(cb.status, 302);
    const session = cookiesOf(cb).get('__Host-portico_session')!;
    assert.match(session.attrs, /secure/);
    assert.match(session.attrs, /path=\//);
    assert.doesNotMatch(session.attrs, /domain=/);
  });
});
