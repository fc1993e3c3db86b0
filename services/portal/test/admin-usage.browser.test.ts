/**
 * The admins' API usage page in a real browser (issue 15 item 3): two developers' applications
 * call the demo API through the real gateway; the gateway's usage batches reach the store and
 * the admin's page, reached from the admin navigation, shows the API's total and the top
 * applications by requests, with their names. A developer gets neither the page nor its API.
 * Screenshots at 1280 and 390 px wide.
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
let admin: BrowserUser;
let alice: BrowserUser;
let bob: BrowserUser;
let demoApiId: string;

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
  admin = await newUser(browser, stack.storeUrl);
  alice = await newUser(browser, stack.storeUrl);
  bob = await newUser(browser, stack.storeUrl);
  await signIn(admin, stack.storeUrl, 'admin');
  await signIn(alice, stack.storeUrl, 'alice');
  await signIn(bob, stack.storeUrl, 'bob');
  const apis = await storeCall(alice.page, 'GET', '/api/v1/apis');
  demoApiId = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name)?.id;
  assert.ok(demoApiId, 'the demo API is in the catalog');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

/** Every call to the demo API counts in its total, attributed to an application or not. */
const counted = { all: 0, serverErrors: 0 };

/**
 * A developer's application subscribed to the demo API with sandbox keys, and a caller of the
 * API through the gateway that counts what the gateway attributes to the application: answers
 * once the key is known to the gateway (a 403 not_subscribed too), not a 401 or a 403
 * unknown_application (the read model does not know the key yet).
 */
async function callingApplication(user: BrowserUser, name: string) {
  const { page } = user;
  const app = await storeCall(page, 'POST', '/api/v1/applications', { name });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const sub = await storeCall(page, 'POST', '/api/v1/subscriptions', {
    applicationId: app.body.id,
    apiId: demoApiId,
    tier: 'Unlimited',
  });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  const keys = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {});
  assert.equal(keys.status, 201, JSON.stringify(keys.body));
  const tok = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
  const token = tok.body.accessToken as string;
  assert.ok(token, JSON.stringify(tok.body));
  const caller = {
    id: app.body.id as string,
    attributed: 0,
    async call(path: string): Promise<number> {
      const res = await fetch(`${stack.gatewayUrl}${DEMO_API.context}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      counted.all += 1;
      if (res.status >= 500) counted.serverErrors += 1;
      if (res.status !== 401 && body?.error?.code !== 'unknown_application') caller.attributed += 1;
      return res.status;
    },
  };
  // The subscription reaches the gateway through Kafka: wait for the first 200.
  await waitFor(async () => (await caller.call('/search.atom?q=cat')) === 200, {
    timeoutMs: 20_000,
    message: `the gateway never accepted the key of ${name}`,
  });
  return caller;
}

describe('API usage (admins)', () => {
  test('a developer gets neither the page nor its API', async () => {
    const { page } = alice;
    await page.goto(`${stack.storeUrl}/apis`);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByText('API usage').count(), 0);
    await page.goto(`${stack.storeUrl}/admin/usage/${demoApiId}`);
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    assert.equal(await page.getByTestId('top-applications').count(), 0);
    assert.equal((await storeCall(page, 'GET', `/api/v1/apis/${demoApiId}/usage`)).status, 403);
  });

  test('before any call the page says how to make the first one', async () => {
    const { page } = admin;
    await page.goto(`${stack.storeUrl}/apis`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API usage' }).click();
    await page.waitForURL(`${stack.storeUrl}/admin/usage`);
    await page
      .getByLabel('API', { exact: true })
      .selectOption({ label: `${DEMO_API.name} ${DEMO_API.version}` });
    const empty = page.getByTestId('api-usage-empty');
    await empty.waitFor();
    assert.match(await textOf(empty), /No calls to Twitter Search 1\.0\.0 in this range yet/);
    assert.match(await textOf(empty), new RegExp(`call ${stack.gatewayUrl}${DEMO_API.context} with it`));
  });

  test('after calls by two applications the page shows the total and the top applications by requests', async () => {
    const busy = await callingApplication(alice, 'Alice busy app');
    const quiet = await callingApplication(bob, 'Bob quiet app');
    for (let i = 0; i < 8; i += 1) assert.equal(await busy.call('/search.atom?q=cat'), 200);
    for (let i = 0; i < 2; i += 1) assert.equal(await busy.call('/status/503'), 503);
    assert.equal(await quiet.call('/search.atom?q=dog'), 200);
    assert.ok(busy.attributed > quiet.attributed, `${busy.attributed} > ${quiet.attributed}`);

    const { page } = admin;
    // From Manage APIs: each API links to its usage.
    await page.goto(`${stack.storeUrl}/admin/apis`);
    await page.getByRole('link', { name: `Usage of ${DEMO_API.context}` }).click();
    await page.waitForURL(`${stack.storeUrl}/admin/usage/${demoApiId}`);
    const totals = page.getByTestId('usage-totals');
    let shown = '';
    await waitFor(
      async () => {
        await page.getByLabel('Range').selectOption('24h');
        await page.getByLabel('Range').selectOption('1h');
        shown = (await totals.count()) > 0 ? await textOf(totals) : await textOf(page.locator('main'));
        return new RegExp(`Requests\\s*${counted.all}\\b`).test(shown);
      },
      { timeoutMs: 90_000, intervalMs: 2000, message: `the page never showed the ${counted.all} calls` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; it showed: ${shown}`);
    });
    assert.match(await textOf(totals), new RegExp(`Server errors \\(5xx\\)\\s*${counted.serverErrors}\\b`));
    assert.equal((await page.locator('figure.chart canvas').count()) >= 2, true, 'two charts drawn');

    const rows = page.getByTestId('top-applications').locator('tbody tr');
    await waitFor(async () => (await rows.count()) === 2, { message: 'two top applications' }).catch(
      async (err: Error) => {
        throw new Error(`${err.message}; the page showed: ${await textOf(page.locator('main'))}`);
      },
    );
    const first = await textOf(rows.nth(0));
    const second = await textOf(rows.nth(1));
    assert.match(first, new RegExp(`Alice busy app\\s+${busy.id}\\s+${busy.attributed}\\b`));
    assert.match(second, new RegExp(`Bob quiet app\\s+${quiet.id}\\s+${quiet.attributed}\\b`));
    assert.deepEqual(admin.problems, []);
    await screenshot(page, '30-admin-usage-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    // The narrow layout: each row a block whose cells say what they are.
    assert.match(await textOf(rows.nth(0)), new RegExp(`Requests: ${busy.attributed}\\b`));
    await screenshot(page, '31-admin-usage-390');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
