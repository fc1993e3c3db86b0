/**
 * User access tokens from the key tab (issue 14, "User access tokens"): a developer allows the
 * password, authorization code and refresh token grants on a key, with a callback URL checked by
 * the one rule the store and the key-manager share; the "Get a token" panel's curl commands work
 * as shown — a password grant for a user of a secondary user-store domain, its refresh — and an
 * authorization code + PKCE login completes from the registered callback. Screenshots at 1280
 * and 390 px wide.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FormBrowser } from '@portico/testing';
import type { Browser, Page } from 'playwright-core';
import type { BrowserUser, Stack } from './stack.ts';
import { launchBrowser, newUser, screenshot, signIn, startStack, storeCall, USERS } from './stack.ts';

const run = promisify(execFile);
let stack: Stack;
let browser: Browser;
let alice: BrowserUser;

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
  alice = await newUser(browser, stack.storeUrl);
  await signIn(alice, stack.storeUrl, 'alice');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

/** Runs a copied curl with the given shell variables; returns the status and the JSON body. */
async function shell(command: string, vars: Record<string, string>) {
  const { stdout } = await run('bash', ['-c', `${command} -sS --max-time 10`], {
    timeout: 15_000,
    env: { ...process.env, ...vars },
  });
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1] ?? 0);
  const body = stdout.slice(stdout.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(body) as Record<string, string> };
}

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent()) ?? '';

describe('user access tokens', () => {
  test('a key allowing the user grants gives a password-grant token for a secondary-domain user with the curl shown, renews it, and completes a PKCE login from its callback', async () => {
    const { page } = alice;
    await page.goto(`${stack.storeUrl}/applications`);
    const created = (await storeCall(page, 'POST', '/api/v1/applications', { name: 'Mobile app' })).body as {
      id: string;
    };
    await page.goto(`${stack.storeUrl}/applications/${created.id}/keys`);
    await page.getByRole('checkbox', { name: /^Password/ }).check();
    await page.getByRole('checkbox', { name: /^Authorization code with PKCE/ }).check();
    await page.getByRole('checkbox', { name: /^Refresh token/ }).check();

    // The shared rule: plain http is for loopback callbacks only; nothing is created.
    await page.getByLabel('Callback URLs').fill('http://app.example.com/callback');
    await page.getByRole('button', { name: 'Generate keys' }).click();
    await page.getByText(/http:\/\/app\.example\.com\/callback: Must be an absolute https URL/).waitFor();
    const keysBefore = await page.evaluate(
      async (id) => (await (await fetch(`/api/v1/applications/${id}`)).json()).keys.length,
      created.id,
    );
    assert.equal(keysBefore, 0, 'a refused form creates no key');

    const redirectUri = 'http://127.0.0.1:7999/callback';
    await page.getByLabel('Callback URLs').fill(redirectUri);
    await page.getByRole('button', { name: 'Generate keys' }).click();
    const secret = await text(page, 'consumer-secret-production');
    const consumerKey = await text(page, 'consumer-key-production');
    assert.ok(secret && consumerKey);
    assert.equal(await text(page, 'token-endpoint-production'), `${stack.keyManagerUrl}/token`);

    // A user of the PARTNERS user store, chosen in the panel.
    const panel = page.getByRole('region', { name: 'Get a token' });
    await panel.getByLabel('User store domain').fill('partners');
    await panel.getByLabel('User name', { exact: true }).fill('dave');
    const passwordCurl = await text(page, 'curl-password-production');
    assert.match(passwordCurl, /username=PARTNERS\/dave/);
    assert.doesNotMatch(passwordCurl, new RegExp(secret), 'the secret is never written into the command');
    await screenshot(page, '24-user-tokens-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '25-user-tokens-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    const granted = await shell(passwordCurl, { CONSUMER_SECRET: secret, PASSWORD: USERS.dave.password });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.ok(granted.body['access_token'] && granted.body['refresh_token']);
    const info = await stack.introspect(granted.body['access_token'] as string);
    assert.equal(info['active'], true);
    assert.equal(info['username'] ?? info['sub'], 'PARTNERS/dave');

    const wrong = await shell(passwordCurl, { CONSUMER_SECRET: secret, PASSWORD: 'not the password' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body['error'], 'invalid_grant');

    // Renew the user token with the refresh curl; the old refresh token is then spent.
    const refreshCurl = await text(page, 'curl-refresh-token-production');
    const renewed = await shell(refreshCurl, {
      CONSUMER_SECRET: secret,
      REFRESH_TOKEN: granted.body['refresh_token'] as string,
    });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.notEqual(renewed.body['access_token'], granted.body['access_token']);

    // Authorization code + PKCE from the registered callback: the URL and the exchange curl shown.
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = (await text(page, 'authorize-url-production')).replace('CODE_CHALLENGE', challenge);
    const callback = await new FormBrowser().signIn(
      authorize,
      { username: USERS.dave.username, password: USERS.dave.password },
      redirectUri,
    );
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback.href}`);
    const exchanged = await shell(await text(page, 'curl-authorization-code-production'), {
      CONSUMER_SECRET: secret,
      CODE: code,
      CODE_VERIFIER: verifier,
    });
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    const viaCode = await stack.introspect(exchanged.body['access_token'] as string);
    assert.equal(viaCode['active'], true);
    assert.equal(viaCode['username'] ?? viaCode['sub'], 'PARTNERS/dave');
  });

  test('a key of client credentials only shows the application-token curl and no user-token commands', async () => {
    const { page } = alice;
    const created = (await storeCall(page, 'POST', '/api/v1/applications', { name: 'Batch job' })).body as {
      id: string;
    };
    await page.goto(`${stack.storeUrl}/applications/${created.id}/keys`);
    await page.getByRole('button', { name: 'Generate keys' }).click();
    const secret = await text(page, 'consumer-secret-production');
    const curl = await text(page, 'curl-client-credentials-production');
    const token = await shell(curl, { CONSUMER_SECRET: secret });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(await page.getByTestId('curl-password-production').count(), 0);
    assert.equal(await page.getByTestId('curl-refresh-token-production').count(), 0);
  });
});
