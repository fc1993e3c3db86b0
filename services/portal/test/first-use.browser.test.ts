/**
 * The defects a new developer (and a new admin) hit on first use (issue 14), in a real browser
 * against the real stack: where a conflict is shown, confirmations before drastic lifecycle
 * moves, where focus goes, the wording, what a 503 and an unreachable store look like, and the
 * key-manager's sign-in page. Screenshots at 1280 and 390 px go to .portico/artifacts/portal/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BrowserUser, Stack, UserName } from './stack.ts';
import { DEMO_API, launchBrowser, newUser, screenshot, signIn, startStack } from './stack.ts';

let stack: Stack;
let browser: Browser;

// biome-ignore lint/performance/useDomNodeTextContent: rendered text is what is asserted
const textOf = (l: Locator): Promise<string> => l.innerText();

/** A signed-in user in a fresh context, closed after the test. */
async function signedIn(t: { after(fn: () => Promise<void>): void }, who: UserName): Promise<BrowserUser> {
  const u = await newUser(browser, stack.storeUrl);
  u.page.setDefaultTimeout(15_000);
  t.after(() => u.context.close());
  await signIn(u, stack.storeUrl, who);
  return u;
}

/** Screenshots at 1280 px and at 390 px (a phone), then back to 1280. */
async function screenshots(page: Page, name: string): Promise<void> {
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function createApplication(page: Page, name: string): Promise<string> {
  await page.goto(`${stack.storeUrl}/applications`);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  const id = /\/applications\/(app_[0-9a-f]{32})/.exec(page.url())?.[1];
  assert.ok(id, page.url());
  return id;
}

/** A call to the store's API from the page, as the signed-in user (session cookie + CSRF). */
async function storeCall(page: Page, method: string, path: string, body?: unknown) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
      const res = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    { method, path, body },
  );
}

const activeText = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
const activeTag = (page: Page) => page.evaluate(() => document.activeElement?.tagName ?? '');

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('first use of the portal (issue 14 defects)', () => {
  test('creating or renaming to a name the developer already uses shows the 409 message on the Name field', async (t) => {
    const { page, problems } = await signedIn(t, 'alice');
    await createApplication(page, 'Weather widget');
    await createApplication(page, 'Weather widget beta');
    // Rename the second to the first's name: the store's 409 on the field, not a general alert.
    const name = page.getByLabel('Name');
    await name.fill('Weather widget');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const fieldError = page.locator('.field-invalid .field-error');
    await fieldError.getByText('You already have an application with this name').waitFor();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.includes((await fieldError.getAttribute('id')) ?? '?'), describedBy);
    assert.equal(await page.getByRole('alert').count(), 0, 'no general alert for a field conflict');
    assert.equal(await page.getByText('Something went wrong').count(), 0);
    await screenshots(page, 'i14-rename-conflict');
    // Typing clears it; the name is still the old one.
    await name.fill('Weather widget 2');
    assert.equal(await fieldError.count(), 0);
    await page.getByRole('heading', { level: 1, name: 'Weather widget beta' }).waitFor();

    // Creation: the same message in the same place.
    await page.goto(`${stack.storeUrl}/applications`);
    await page.getByLabel('Name').fill('Weather widget');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page
      .locator('.field-invalid .field-error')
      .getByText('You already have an application with this name')
      .waitFor();
    assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(problems, []);
  });

  test('saving a new tier under an existing name is refused on the Name field and keeps that tier; Edit changes it on purpose', async (t) => {
    const { page, problems } = await signedIn(t, 'admin');
    await page.goto(`${stack.storeUrl}/admin/tiers`);
    await page.getByLabel('Name').fill('Platinum');
    await page.getByLabel('Description').fill('For partners');
    await page.getByLabel('Requests').fill('5000');
    await page.getByRole('button', { name: 'Save tier' }).click();
    const row = page.getByRole('row', { name: /Platinum/ });
    await row.getByText('For partners').waitFor();

    await page.getByLabel('Name').fill('Platinum');
    await page.getByLabel('Requests').fill('10');
    await page.getByRole('button', { name: 'Save tier' }).click();
    await page
      .locator('.field-invalid .field-error')
      .getByText('A tier named Platinum already exists')
      .waitFor();
    await screenshots(page, 'i14-tier-exists');
    await page.reload();
    await page.getByRole('row', { name: /Platinum/ }).waitFor();
    assert.match(
      await textOf(page.getByRole('row', { name: /Platinum/ })),
      /For partners[\s\S]*5,000 requests/,
    );

    // Edit: the form is filled with the tier (description kept), focus moves to it.
    await page.getByRole('button', { name: 'Edit tier Platinum' }).click();
    await page.getByRole('heading', { name: 'Edit the Platinum tier' }).waitFor();
    assert.equal(await activeText(page), 'Edit the Platinum tier');
    assert.equal(await page.getByLabel('Description').inputValue(), 'For partners');
    await page.getByLabel('Requests').fill('6000');
    await screenshots(page, 'i14-tier-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'New tier' }).waitFor();
    await page
      .getByRole('row', { name: /Platinum/ })
      .getByText('6,000 requests per minute')
      .waitFor();
    assert.match(
      await textOf(page.getByRole('row', { name: /Platinum/ })),
      /For partners[\s\S]*6,000 requests/,
    );
    assert.deepEqual(problems, []);
  });

  test('Block and Retire on the admin API page ask for confirmation first (Escape cancels)', async (t) => {
    const { page, problems } = await signedIn(t, 'admin');
    const created = await storeCall(page, 'POST', '/api/v1/apis', {
      name: 'Lifecycle demo',
      version: '1.0.0',
      context: '/lifecycle-demo/1.0.0',
      productionUrl: 'http://127.0.0.1:9/lifecycle',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.goto(`${stack.storeUrl}/admin/apis/${created.body['id']}`);
    const lifecycle = page.getByRole('region', { name: 'Lifecycle' });
    await lifecycle.getByRole('button', { name: 'Publish', exact: true }).click();
    await lifecycle.getByText('PUBLISHED', { exact: true }).waitFor();

    await lifecycle.getByRole('button', { name: 'Block', exact: true }).click();
    const block = page.getByRole('dialog', { name: 'Block Lifecycle demo v1.0.0?' });
    await block.getByText('The gateway refuses every call').waitFor();
    await screenshots(page, 'i14-confirm-block');
    await page.keyboard.press('Escape');
    await block.waitFor({ state: 'hidden' });
    await lifecycle.getByText('PUBLISHED', { exact: true }).waitFor();
    const still = await storeCall(page, 'GET', `/api/v1/apis/${created.body['id']}`);
    assert.equal(still.body['lifecycle'], 'PUBLISHED', 'Escape cancelled the block');
    await lifecycle.getByRole('button', { name: 'Block', exact: true }).click();
    await block.getByRole('button', { name: 'Block API' }).click();
    await lifecycle.getByText('BLOCKED', { exact: true }).waitFor();

    // Deprecate asks nothing; Retire (final) asks.
    await lifecycle.getByRole('button', { name: 'Deprecate', exact: true }).click();
    await lifecycle.getByText('DEPRECATED', { exact: true }).waitFor();
    await lifecycle.getByRole('button', { name: 'Retire', exact: true }).click();
    const retire = page.getByRole('dialog', { name: 'Retire Lifecycle demo v1.0.0?' });
    await retire.getByText('cannot be undone').waitFor();
    await retire.getByRole('button', { name: 'Retire API' }).click();
    await lifecycle.getByText('RETIRED', { exact: true }).waitFor();
    assert.deepEqual(problems, []);
  });

  test('the token validity limits read in human units as well as seconds (31536000 = 1 year)', async (t) => {
    const { page, problems } = await signedIn(t, 'bob');
    const id = await createApplication(page, 'Units check app');
    await page.goto(`${stack.storeUrl}/applications/${id}/keys`);
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByText('from 60 (1 minute) to 31536000 (1 year)').waitFor();
    await panel.getByLabel('Token validity (seconds)').fill('5');
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByText('between 60 and 31536000 seconds (1 minute to 1 year)').waitFor();
    await screenshots(page, 'i14-validity-units');
    assert.deepEqual(problems, []);
  });

  test('after Generate keys focus is on the new keys and the new secret is announced; after Revoke focus is on the message', async (t) => {
    const { page, problems } = await signedIn(t, 'bob');
    const id = await createApplication(page, 'Focus check app');
    await page.goto(`${stack.storeUrl}/applications/${id}/keys`);
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByTestId('consumer-secret-production').waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Consumer key and secret');
    assert.equal(await activeTag(page), 'H2');
    const live = panel.getByTestId('keys-announcement-production');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.match((await live.textContent()) ?? '', /New production keys generated.*consumer secret/);
    await screenshots(page, 'i14-keys-generated-focus');

    await panel.getByRole('button', { name: 'Revoke production keys' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke the production keys?' })
      .getByRole('button', { name: 'Revoke keys' })
      .click();
    await panel.getByRole('button', { name: 'Generate keys' }).waitFor();
    await page.waitForFunction(() => /keys were revoked/.test(document.activeElement?.textContent ?? ''));
    assert.notEqual(await activeTag(page), 'BODY');
    await screenshots(page, 'i14-keys-revoked-focus');
    assert.deepEqual(problems, []);
  });

  test('the subscribe confirmation links to the application; an unknown application says so and links back to Applications', async (t) => {
    const { page, problems } = await signedIn(t, 'carol');
    const id = await createApplication(page, 'Subscriber app');
    await page.goto(`${stack.storeUrl}/apis`);
    await page.getByRole('link', { name: DEMO_API.name }).click();
    const form = page.getByRole('region', { name: 'Subscribe' });
    await form.getByLabel('Application').selectOption({ label: 'Subscriber app' });
    await form.getByRole('button', { name: 'Subscribe' }).click();
    const link = form.getByRole('link', { name: 'the Keys tab of Subscriber app' });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `/applications/${id}/keys`);
    await screenshots(page, 'i14-subscribed');
    await link.click();
    await page.getByRole('tabpanel', { name: 'Production keys' }).waitFor();

    await page.goto(`${stack.storeUrl}/applications/app_${'0'.repeat(32)}/keys`);
    await page.getByRole('heading', { level: 1, name: 'Application not found' }).waitFor();
    await page.getByText('This application was not found: it does not exist, or it is not yours.').waitFor();
    assert.equal(await page.getByText('No such resource').count(), 0);
    await screenshots(page, 'i14-application-not-found');
    await page.getByRole('link', { name: 'Back to Applications' }).click();
    await page.waitForURL(`${stack.storeUrl}/applications`);
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    assert.deepEqual(problems, []);
  });

  test('a 503 from the store says when to try again, from its Retry-After', async (t) => {
    const { page } = await signedIn(t, 'alice');
    const id = await createApplication(page, 'Retry-After app');
    await page.goto(`${stack.storeUrl}/applications/${id}/keys?type=sandbox`);
    const panel = page.getByRole('tabpanel', { name: 'Sandbox keys' });
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByTestId('consumer-key-sandbox').waitFor();
    await stack.stop('key-manager');
    try {
      const answer = page.waitForResponse((r) => r.url().endsWith('/keys/SANDBOX/token'));
      await panel.getByRole('button', { name: 'Generate access token' }).click();
      const res = await answer;
      assert.equal(res.status(), 503);
      const retryAfter = res.headers()['retry-after'];
      assert.match(retryAfter ?? '', /^\d+$/);
      await panel
        .getByRole('alert')
        .getByText(`The service is temporarily unavailable, try again in ${retryAfter} s.`)
        .waitFor();
      await screenshots(page, 'i14-retry-after');
    } finally {
      await stack.start('key-manager');
    }
    await panel.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
    await panel.getByTestId('access-token-sandbox').waitFor();
  });

  test('when the store cannot be reached at start the page keeps its header, says so, and Retry loads it', async (t) => {
    const u = await newUser(browser, stack.storeUrl);
    t.after(() => u.context.close());
    const { page } = u;
    page.setDefaultTimeout(15_000);
    await page.route('**/api/v1/me', (route) => route.abort('connectionrefused'));
    await page.goto(`${stack.storeUrl}/apis`);
    await page.getByRole('heading', { level: 1, name: 'The portal cannot start right now' }).waitFor();
    assert.match(await textOf(page.getByRole('banner')), /Portico/);
    await page.getByRole('alert').getByText('Cannot reach the portal server').waitFor();
    await screenshots(page, 'i14-store-unreachable');
    await page.unroute('**/api/v1/me');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('link', { name: 'Sign in to get started' }).waitFor();
  });

  test('the key-manager sign-in page carries the portal brand and its icon loads', async (t) => {
    const u = await newUser(browser, stack.storeUrl);
    t.after(() => u.context.close());
    const { page, problems } = u;
    await page.goto(`${stack.storeUrl}/`);
    await page.getByRole('link', { name: 'Sign in to get started' }).click();
    await page.getByLabel('Password').waitFor();
    assert.ok(page.url().startsWith(stack.keyManagerUrl), page.url());
    assert.match(await textOf(page.getByRole('banner')), /Portico/);
    assert.equal(await page.title(), 'Sign in · Portico');
    // The page's own stylesheet applies (the CSP allows only it): the portal's top bar colour.
    const bar = await page.locator('header').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(bar, 'rgb(20, 26, 46)');
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    assert.ok(icon);
    const res = await page.request.get(new URL(icon, page.url()).href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'] ?? '', /^image\//);
    assert.equal((await page.request.get(`${stack.keyManagerUrl}/favicon.ico`)).status(), 200);
    await screenshots(page, 'i14-km-sign-in');
    assert.deepEqual(problems, []);
  });
});
