/**
 * Changing a subscription's tier from the application's Subscriptions tab (issue 14): the change
 * reaches the gateway through Kafka and the new limit applies at once, without unsubscribing.
 * Screenshots at 1280 and 390 px wide.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueName, waitFor } from '@portico/testing';
import type { Browser } from 'playwright-core';
import type { BrowserUser, Stack } from './stack.ts';
import { DEMO_API, launchBrowser, newUser, screenshot, signIn, startStack, storeCall } from './stack.ts';

let stack: Stack;
let browser: Browser;
let alice: BrowserUser;
let admin: BrowserUser;

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
  alice = await newUser(browser, stack.storeUrl);
  await signIn(alice, stack.storeUrl, 'alice');
  admin = await newUser(browser, stack.storeUrl);
  await signIn(admin, stack.storeUrl, 'admin');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('change tier', () => {
  test('a developer moves a throttled subscription to a bigger tier and the gateway lets the next call through', async () => {
    // A tier of 3 requests per hour, so the 4th call is throttled for the rest of the test.
    const tiny = uniqueName('Tiny')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 30);
    const put = await storeCall(admin.page, 'PUT', `/api/v1/tiers/${tiny}`, {
      description: 'Three calls an hour',
      requests: 3,
      unitSeconds: 3600,
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    const { page } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Tier mover' });
    assert.equal(app.status, 201);
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    const sub = await storeCall(page, 'POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.id,
      tier: tiny,
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    assert.equal(
      (await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX`, {})).status,
      201,
    );
    const tok = await storeCall(page, 'POST', `/api/v1/applications/${app.body.id}/keys/SANDBOX/token`, {});
    const token = tok.body.accessToken as string;
    const call = async () =>
      (
        await fetch(`${stack.gatewayUrl}${DEMO_API.context}/search.atom?q=tier`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    // Until the gateway knows the subscription the answer is 403; then 3 calls, then 429.
    await waitFor(async () => (await call()) === 429, {
      timeoutMs: 30_000,
      message: 'the gateway never throttled the 3-per-hour subscription',
    });

    await page.goto(`${stack.storeUrl}/applications/${app.body.id}/subscriptions`);
    const select = page.getByLabel(`Tier for ${DEMO_API.name}`);
    await select.waitFor();
    assert.equal(await select.inputValue(), tiny);
    // Choosing an option changes nothing until the button is pressed.
    await select.selectOption('Unlimited');
    assert.equal((await call()) === 429, true, 'selecting a tier alone must not change the limit');
    await screenshot(page, '22-change-tier-1280');
    await page.getByRole('button', { name: 'Change tier' }).click();
    await page.getByText(`${DEMO_API.name} is now on the Unlimited tier`).waitFor();
    await page.getByRole('button', { name: 'Change tier' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel(`Tier for ${DEMO_API.name}`).inputValue(), 'Unlimited');

    const stored = await storeCall(page, 'GET', `/api/v1/subscriptions/${sub.body.id}`);
    assert.equal(stored.body.tier, 'Unlimited');
    await waitFor(async () => (await call()) === 200, {
      timeoutMs: 20_000,
      message: 'the gateway kept throttling after the tier change',
    });
    for (let i = 0; i < 5; i += 1) assert.equal(await call(), 200);

    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '23-change-tier-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('changing to a tier that does not exist is refused with a 400 and leaves the tier as it was', async () => {
    const { page } = alice;
    const app = await storeCall(page, 'POST', '/api/v1/applications', { name: 'Tier typo' });
    const apis = await storeCall(page, 'GET', '/api/v1/apis');
    const api = apis.body.items.find((a: { name: string }) => a.name === DEMO_API.name);
    const sub = await storeCall(page, 'POST', '/api/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: api.id,
      tier: 'Bronze',
    });
    const res = await storeCall(page, 'PATCH', `/api/v1/subscriptions/${sub.body.id}`, {
      tier: 'NoSuchTier',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'unknown_tier');
    assert.equal((await storeCall(page, 'GET', `/api/v1/subscriptions/${sub.body.id}`)).body.tier, 'Bronze');
  });
});
