/**
 * The API page's try-it console in a real browser (issue 14): a developer's subscribed
 * application with a sandbox key calls the demo API through the real gateway from the portal's
 * page (cross-origin, under the store's strict CSP) and sees the answer: status, time, headers
 * (the upstream's own, which CORS only shows when the gateway exposes them) and the body. The
 * console's token stays out of storage and the URL and does not revoke the application's own
 * token; a key whose allowed domains leave the portal out is named as such and refused by the
 * gateway. Screenshots at 1280 and 390 px wide.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@portico/testing';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BrowserUser, Stack } from './stack.ts';
import { DEMO_API, launchBrowser, newUser, screenshot, signIn, startStack, storeCall } from './stack.ts';

// biome-ignore lint/performance/useDomNodeTextContent: rendered text is what is asserted
const textOf = (l: Locator): Promise<string> => l.innerText();

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

/** Presses Send until the gateway knows the new subscription (it arrives through Kafka). */
async function sendUntil(page: Page, status: RegExp): Promise<void> {
  await waitFor(
    async () => {
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByRole('button', { name: 'Send' }).waitFor();
      const s = page.getByTestId('try-it-status');
      return (await s.count()) > 0 && status.test(await textOf(s));
    },
    { timeoutMs: 30_000, intervalMs: 1000, message: `the console never showed ${status}` },
  );
}

describe('try-it console', () => {
  test('an API page with no subscribed application links to the subscribe form', async () => {
    const { page } = alice;
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    await page.goto(`${stack.storeUrl}/apis/${api.id}`);
    const empty = page.getByTestId('try-it-empty');
    await empty.waitFor();
    assert.match(await textOf(empty), /None of your applications is subscribed/);
    assert.equal(
      await empty.getByRole('link', { name: 'Subscribe an application' }).getAttribute('href'),
      '#subscribe',
    );
  });

  test('calls the demo API through the gateway with a sandbox key and shows the answer', async () => {
    const { page, problems } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Try-it app' });
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    const sub = await storeCall(page, 'POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.id,
      tier: 'Unlimited',
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const keys = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {});
    assert.equal(keys.status, 201, JSON.stringify(keys.body));
    // The application's own token, from the Keys tab's endpoint: the console must not revoke it.
    const own = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
    const ownToken = own.body.accessToken as string;

    await page.goto(`${stack.storeUrl}/apis/${api.id}`);
    const tryIt = page.getByRole('region', { name: 'Try it' });
    await tryIt
      .getByLabel('Operation')
      .selectOption({ label: 'GET /search.atom — Search posts as an Atom feed' });
    await tryIt.getByLabel('q (query parameter, required)').fill('cat');
    await tryIt.getByLabel('Application').selectOption({ label: 'Try-it app' });
    await tryIt.getByLabel('Key type').selectOption('SANDBOX');
    assert.equal(
      await textOf(tryIt.getByTestId('try-it-url')),
      `${stack.gatewayUrl}${DEMO_API.context}/search.atom?q=cat`,
    );
    await sendUntil(page, /^200\b/);
    assert.match(await textOf(tryIt.getByTestId('try-it-time')), /^in \d+ ms$/);
    assert.match(await textOf(tryIt.getByTestId('try-it-body')), /sandbox result for cat/);
    await tryIt.getByText(/^Headers \(\d+\)$/).click();
    const headers = await textOf(tryIt.getByTestId('try-it-headers'));
    assert.match(headers, /x-upstream-environment\s+sandbox/, headers);
    assert.match(headers, /content-type\s+application\/atom\+xml/, headers);
    await screenshot(page, '30-try-it-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '31-try-it-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A path parameter and a JSON answer, pretty-printed: the upstream saw no Authorization.
    await tryIt.getByLabel('Operation').selectOption({ label: 'GET /posts/{id} — One post' });
    await tryIt.getByRole('button', { name: 'Send' }).click();
    await tryIt.getByText('Fill in the required parameters: id.').waitFor();
    await tryIt.getByLabel('id (path parameter, required)').fill('42');
    await sendUntil(page, /^200\b/);
    const body = await textOf(tryIt.getByTestId('try-it-body'));
    assert.match(body, /\n {2}"environment": "sandbox",/);
    assert.match(body, /"path": "\/sandbox\/posts\/42"/);
    assert.doesNotMatch(body, /bearer/i);

    // The token stayed in the page's memory; the application's own token still works.
    const kept = await page.evaluate(() => ({
      storage: localStorage.length + sessionStorage.length,
      url: location.href,
    }));
    assert.deepEqual(kept, { storage: 0, url: `${stack.storeUrl}/apis/${api.id}` });
    assert.equal((await stack.introspect(ownToken))['active'], true);
    assert.deepEqual(problems, [], 'no CSP violation or page error');
  });

  test('a key whose allowed domains leave the portal out is named, and the gateway refuses it', async () => {
    const { page } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Domain-bound app' });
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    await storeCall(page, 'POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.id,
      tier: 'Unlimited',
    });
    const keys = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {
      allowedDomains: ['app.example.com'],
    });
    assert.equal(keys.status, 201, JSON.stringify(keys.body));
    await page.goto(`${stack.storeUrl}/apis/${api.id}`);
    const tryIt = page.getByRole('region', { name: 'Try it' });
    await tryIt.getByLabel('Application').selectOption({ label: 'Domain-bound app' });
    await tryIt.getByLabel('q (query parameter, required)').fill('dog');
    assert.match(
      await textOf(tryIt.getByTestId('try-it-domain-warning')),
      /allowed domains \(app\.example\.com\) do not include the portal \(127\.0\.0\.1\)/,
    );
    // The browser's Origin (the portal's) is what the gateway checks: 403, not a 200.
    await sendUntil(page, /^403\b/);
    assert.match(await textOf(tryIt.getByTestId('try-it-body')), /domain/i);
  });
});
