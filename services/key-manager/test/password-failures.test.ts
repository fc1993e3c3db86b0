/**
 * One per-account password failure delay for the login form and the password grant, counted in
 * MongoDB and shared by replicas and client ids; bounded, reset by a success, never a hard lock
 * (issue 13 defect 6, docs/adr/0084). Two key-managers on one database, as in a deployment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FormBrowser } from '@portico/testing';
import { mongo } from 'mongoose';
import * as oauth from 'oauth4webapi';
import type { PasswordFailurePolicy } from '../src/limits/passwordFailures.ts';
import { PasswordFailures } from '../src/limits/passwordFailures.ts';
import type { Running } from './harness.ts';
import { createClient, startKeyManager, tokenRequest } from './harness.ts';

const FREE = 3;
const BASE_MS = 1500;
const MAX_MS = 3000;
const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://127.0.0.1:7777/cb';

describe('per-account password failure delay', () => {
  let a: Running;
  let b: Running;
  let first: { id: string; secret: string };
  let second: { id: string; secret: string };
  let codeClient: { clientId: string };

  before(async () => {
    const policy = {
      PASSWORD_FAILURES_FREE: String(FREE),
      PASSWORD_FAILURE_BASE_DELAY_MS: String(BASE_MS),
      PASSWORD_FAILURE_MAX_DELAY_MS: String(MAX_MS),
    };
    a = await startKeyManager(policy);
    b = await startKeyManager(
      {
        ...policy,
        MONGO_DB: a.config.MONGO_DB,
        TOKEN_HASH_KEY: a.config.TOKEN_HASH_KEY ?? '',
        PERSISTENCE_ENCRYPTION_KEYS: a.config.PERSISTENCE_ENCRYPTION_KEYS,
      },
      { keepDb: true },
    );
    for (const username of ['alice', 'dave', 'erin', 'frank', 'grace', 'henry']) {
      const res = await a.adminFetch('/admin/userstores/PRIMARY/users', {
        method: 'POST',
        body: { username, password: PASSWORD },
      });
      assert.equal(res.status, 201);
    }
    const c1 = await createClient(a, { grantTypes: ['password'] });
    const c2 = await createClient(a, { grantTypes: ['password'] });
    first = { id: c1.clientId, secret: c1.clientSecret };
    second = { id: c2.clientId, secret: c2.clientSecret };
    codeClient = await createClient(a, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  const grant = (km: Running, client: { id: string; secret: string }, username: string, password: string) =>
    tokenRequest(km, client, { grant_type: 'password', username, password });

  async function refused(res: Response): Promise<void> {
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; error_description: string };
    // Exactly what a wrong password gets.
    assert.deepEqual(body, { error: 'invalid_grant', error_description: 'grant request is invalid' });
  }

  /** Opens the login form of an authorization request on `km`; returns a submit function. */
  async function loginForm(km: Running) {
    const browser = new FormBrowser();
    const url = new URL(`${km.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: codeClient.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'default',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const start = await browser.fetch(url.href);
    const page = new URL(start.headers.get('location') ?? '', url);
    const html = await (await browser.fetch(page.href)).text();
    const action = /<form method="post" action="([^"]+\/login)"/.exec(html)?.[1];
    assert.ok(action, 'a login form');
    return async (username: string, password: string) => {
      const res = await browser.fetch(new URL(action.replaceAll('&amp;', '&'), page).href, {
        method: 'POST',
        body: new URLSearchParams({ username, password }),
      });
      return { status: res.status, html: await res.text() };
    };
  }

  test('the password grant refuses an account after its free failures, even with the right password and from another client id, until the delay has passed; a success resets the count', async () => {
    // One account whatever the spelling of its domain, on either replica, from either client.
    await refused(await grant(a, first, 'alice', 'wrong password 1'));
    await refused(await grant(b, second, 'PRIMARY/alice', 'wrong password 2'));
    await refused(await grant(a, first, 'primary/alice', 'wrong password 3'));
    const failedAt = Date.now();
    await refused(await grant(b, first, 'alice', PASSWORD));
    await refused(await grant(a, second, 'alice', PASSWORD)); // a new client id gets no new budget
    await delay(failedAt + BASE_MS + 300 - Date.now());
    assert.equal((await grant(b, second, 'alice', PASSWORD)).status, 200, 'the delay has passed');
    // Reset: the free failures are free again.
    await refused(await grant(a, first, 'alice', 'wrong password 4'));
    await refused(await grant(a, first, 'alice', 'wrong password 5'));
    assert.equal((await grant(a, first, 'alice', PASSWORD)).status, 200, 'the success reset the count');
  });

  test('the delay doubles with each further failure up to its cap, and refused attempts do not count', async () => {
    for (let i = 0; i < FREE; i += 1) await refused(await grant(a, first, 'dave', `wrong ${i}`));
    await delay(BASE_MS + 200);
    await refused(await grant(b, first, 'dave', 'wrong again')); // a failure after the delay: doubled
    const failedAt = Date.now();
    await delay(BASE_MS + 200);
    await refused(await grant(a, first, 'dave', PASSWORD)); // still waiting: 2 × base
    await delay(failedAt + MAX_MS + 300 - Date.now());
    assert.equal((await grant(a, first, 'dave', PASSWORD)).status, 200, 'after 2 × base');
  });

  test('the login form and the password grant share one count per account', async () => {
    const submit = await loginForm(a);
    for (let i = 0; i < FREE - 1; i += 1) {
      const page = await submit('erin', `wrong ${i}`);
      assert.equal(page.status, 401);
      assert.match(page.html, /Invalid username or password/);
    }
    await refused(await grant(b, first, 'erin', 'wrong from the grant'));
    const failedAt = Date.now();
    // The right password on the form waits too, with a hint; and on the grant.
    const delayed = await submit('erin', PASSWORD);
    assert.equal(delayed.status, 401);
    assert.match(delayed.html, /Too many failed sign-ins for this account\. Try again in \d+ seconds/);
    await refused(await grant(a, second, 'erin', PASSWORD));
    await delay(failedAt + BASE_MS + 300 - Date.now());
    const accepted = await submit('erin', PASSWORD);
    assert.equal(accepted.status, 303, 'signed in once the delay has passed');
    // The form's success reset the count the grant sees.
    for (let i = 0; i < FREE - 1; i += 1) await refused(await grant(a, first, 'erin', `wrong ${i}`));
    assert.equal((await grant(a, first, 'erin', PASSWORD)).status, 200);
  });

  test("a stranger's failures on one account never delay another account", async () => {
    for (let i = 0; i < FREE + 3; i += 1)
      await refused(await grant(i % 2 ? a : b, first, 'frank', `guess ${i}`));
    await refused(await grant(a, first, 'frank', PASSWORD));
    for (const km of [a, b]) assert.equal((await grant(km, first, 'grace', PASSWORD)).status, 200);
    const submit = await loginForm(b);
    assert.equal((await submit('grace', PASSWORD)).status, 303);
  });

  test('parallel guesses at one account on two replicas all answer as wrong credentials and leave it delayed', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => grant(i % 2 ? a : b, first, 'henry', `parallel guess ${i}`)),
    );
    for (const res of answers) await refused(res);
    const doc = await a.mongo.db?.collection('password_failures').findOne({ _id: 'PRIMARY/henry' as never });
    assert.equal(doc?.['failures'], FREE, 'only the free checks ran, the others waited');
    await refused(await grant(a, first, 'henry', PASSWORD));
  });

  test('failure counter on real MongoDB: free failures, doubling, cap, expiry, reset and concurrent claims', async () => {
    const db = a.mongo.db as mongo.Db;
    const policy: PasswordFailurePolicy = {
      freeFailures: 2,
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      memoryS: 60,
    };
    const counter = new PasswordFailures(db, policy);
    const t0 = Date.now();
    const acct = 'PRIMARY/clock';
    assert.equal(await counter.claim(acct, t0), 0);
    assert.equal(await counter.claim(acct, t0), 0, 'two free failures');
    assert.equal(await counter.claim(acct, t0), 1, 'then 1 s');
    assert.equal(await counter.claim(acct, t0 + 1000), 0);
    assert.equal(await counter.claim(acct, t0 + 1000), 2, 'then 2 s');
    assert.equal(await counter.claim(acct, t0 + 3000), 0);
    assert.equal(await counter.claim(acct, t0 + 3000), 4, 'then 4 s');
    assert.equal(await counter.claim(acct, t0 + 7000), 0);
    assert.equal(await counter.claim(acct, t0 + 7000), 4, 'capped at 4 s');
    // Forgotten memoryS after the delay ends: free again.
    const later = t0 + 11_000 + 60_000;
    assert.equal(await counter.claim(acct, later), 0);
    assert.equal(await counter.claim(acct, later), 0);
    assert.equal(await counter.claim(acct, later), 1);
    await counter.passwordAccepted(acct);
    assert.equal(await counter.claim(acct, later), 0, 'a success resets');
    // Twenty claims at the same instant, from two counters (two replicas): exactly the free ones run.
    const other = new PasswordFailures(db, policy);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? counter : other).claim('PRIMARY/burst', t0)),
    );
    assert.equal(burst.filter((w) => w === 0).length, 2, `claims: ${burst.join(',')}`);
  });

  test('an unreachable failure counter answers 503 temporarily_unavailable, never a token or a 500', async () => {
    const proto = mongo.Collection.prototype as unknown as Record<string, unknown>;
    const original = proto['findOne'] as (this: mongo.Collection, ...args: unknown[]) => Promise<unknown>;
    proto['findOne'] = function failing(this: mongo.Collection, ...args: unknown[]) {
      if (this.collectionName === 'password_failures')
        throw new mongo.MongoNetworkError('connection refused');
      return original.apply(this, args);
    };
    try {
      const res = await grant(a, first, 'grace', PASSWORD);
      assert.equal(res.status, 503);
      assert.ok(res.headers.get('retry-after'));
      assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    } finally {
      proto['findOne'] = original;
    }
    const submit = await loginForm(a);
    proto['findOne'] = function failing(this: mongo.Collection, ...args: unknown[]) {
      if (this.collectionName === 'password_failures')
        throw new mongo.MongoNetworkError('connection refused');
      return original.apply(this, args);
    };
    try {
      const page = await submit('grace', PASSWORD);
      assert.equal(page.status, 503);
    } finally {
      proto['findOne'] = original;
    }
  });
});
