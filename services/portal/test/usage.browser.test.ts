/**
 * The usage tab in a real browser (issue 15): a developer's application, subscribed and keyed
 * through the store's API from the signed-in page, calls the API through the real gateway; the
 * gateway's usage batches reach the store and the tab shows the totals and the charts. Also the
 * empty state of an application with no calls. Screenshots at 1280 and 390 px wide.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@portico/testing';
import type { Browser, Locator } from 'playwright-core';
import type { BrowserUser, Stack } from './stack.ts';
import { DEMO_API, launchBrowser, newUser, screenshot, signIn, startStack, storeCall } from './stack.ts';

/** The text as the user sees it (line breaks between blocks), unlike textContent. */
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

describe('usage tab', () => {
  test('an application with no calls says how to make the first one', async () => {
    const { page } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Quiet app' });
    assert.equal(app.status, 201);
    await page.goto(`${stack.storeUrl}/applications/${app.body.id}/usage`);
    await page.getByTestId('usage-empty').waitFor();
    assert.match(await textOf(page.getByTestId('usage-empty')), /Generate a token on the Keys tab/);
  });

  test('after calls through the gateway the tab shows the totals and both charts', async () => {
    const { page } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Busy app' });
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    assert.ok(api, 'the demo API is in the catalog');
    const sub = await storeCall(page, 'POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.id,
      tier: 'Unlimited',
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const keys = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {});
    assert.equal(keys.status, 201, JSON.stringify(keys.body));
    const tok = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
    const token = tok.body.accessToken as string;
    assert.ok(token, JSON.stringify(tok.body));
    // Every answer the gateway attributes to the application counts: while the key is known to
    // the gateway before the subscription is, its 403 not_subscribed answers count too. Only a
    // key the gateway does not know yet (unknown_application) belongs to no application.
    let attributed = 0;
    let serverErrors = 0;
    const call = async (path: string) => {
      const res = await fetch(`${stack.gatewayUrl}${DEMO_API.context}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      if (res.status !== 401 && body?.error?.code !== 'unknown_application') attributed += 1;
      if (res.status >= 500) serverErrors += 1;
      return res;
    };
    // The subscription reaches the gateway through Kafka: wait for the first 200.
    await waitFor(async () => (await call('/search.atom?q=cat')).status === 200, {
      timeoutMs: 20_000,
      message: 'the gateway never accepted the new key',
    });
    for (let i = 0; i < 9; i += 1) assert.equal((await call('/search.atom?q=cat')).status, 200);
    for (let i = 0; i < 3; i += 1) assert.equal((await call('/status/503')).status, 503);
    assert.ok(attributed >= 13);

    await page.goto(`${stack.storeUrl}/applications/${app.body.id}/usage`);
    await page.getByLabel('Range').selectOption('1h');
    const totals = page.getByTestId('usage-totals');
    await waitFor(
      async () => {
        await page.getByLabel('Range').selectOption('24h');
        await page.getByLabel('Range').selectOption('1h');
        return (
          (await totals.count()) > 0 && new RegExp(`Requests\\s*${attributed}\\b`).test(await textOf(totals))
        );
      },
      { timeoutMs: 90_000, intervalMs: 2000, message: `the usage tab never showed the ${attributed} calls` },
    );
    assert.match(await textOf(totals), new RegExp(`Server errors \\(5xx\\)\\s*${serverErrors}\\b`));
    assert.equal((await page.locator('figure.chart canvas').count()) >= 2, true, 'two charts drawn');
    assert.match(await textOf(page.getByTestId('usage-last-used')), /Sandbox: (?!not used)/);
    await screenshot(page, '20-usage-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '21-usage-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
