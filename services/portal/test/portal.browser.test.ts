/**
 * The developer portal in a real browser (Debian Chromium, headless, driven by playwright-core)
 * against the real stack: key-manager, store serving the built portal, gateway, demo upstream.
 * The journeys of issue 6: a developer gets keys and the copied curl command works through the
 * gateway; an admin creates and publishes an API; developers never see each other's
 * applications. Screenshots of each main page go to .portico/artifacts/portal/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { waitFor } from '@portico/testing';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BrowserUser, Stack } from './stack.ts';
import { DEMO_API, launchBrowser, newUser, screenshot, signIn, startStack } from './stack.ts';

const run = promisify(execFile);

let stack: Stack;
let browser: Browser;
const users: BrowserUser[] = [];

/** What the journeys hand on to each other. */
const state: { aliceAppUrl?: string; aliceAppId?: string; token?: string; consumerKey?: string } = {};

async function user(): Promise<BrowserUser> {
  const u = await newUser(browser, stack.storeUrl);
  users.push(u);
  return u;
}

/** The text as the user sees it (line breaks between blocks), unlike textContent. */
// biome-ignore lint/performance/useDomNodeTextContent: rendered text is what is asserted
const textOf = (l: Locator): Promise<string> => l.innerText();

/** A link of the application page's section navigation (Overview, Subscriptions, Keys). */
const appSection = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Application sections' }).getByRole('link', { name });

const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

/** Runs a copied shell command (a curl through the gateway on loopback) and returns its output. */
async function shell(command: string): Promise<{ status: number; output: string }> {
  const { stdout } = await run('bash', ['-c', `${command} -sS --max-time 10`], { timeout: 15_000 });
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1] ?? 0);
  return { status, output: stdout };
}

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('portal in the browser', () => {
  test('the store serves the portal with a strict CSP, long-cached hashed assets and SPA fallback', async () => {
    const page = await fetch(`${stack.storeUrl}/applications/app_x/keys`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(csp.includes(`form-action 'self' ${stack.keyManagerUrl}`), csp);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /<style|style=/, 'no inline style');

    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const js = await fetch(`${stack.storeUrl}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
    assert.equal((await fetch(`${stack.storeUrl}/`)).headers.get('cache-control'), 'no-cache');

    // API paths keep their JSON errors; files outside dist/ are never served.
    const api404 = await fetch(`${stack.storeUrl}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
    assert.equal(api404.status, 404);
    assert.match(api404.headers.get('content-type') ?? '', /json/);
    for (const path of ['/%2e%2e/package.json', '/assets/%2e%2e/%2e%2e/package.json', '/.env']) {
      const res = await fetch(`${stack.storeUrl}${path}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404, path);
    }

    const config = (await (await fetch(`${stack.storeUrl}/portal-config.json`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(config['gatewayUrl'], stack.gatewayUrl);
    assert.equal(config['clientDomainHeader'], 'Origin');
  });

  test('a new developer signs in, creates an application, subscribes it, gets production keys with an allowed domain, and the copied curl works through the gateway', async () => {
    const alice = await user();
    const { page } = alice;
    await page.goto(`${stack.storeUrl}/`);
    await page.getByRole('heading', { name: 'Build on our APIs' }).waitFor();
    await screenshot(page, '01-welcome');
    // Keyboard users first meet the skip link, which lands them on the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await signIn(alice, stack.storeUrl, 'alice');
    assert.match(await textOf(page.locator('header')), /PRIMARY\/alice/);
    assert.doesNotMatch(await textOf(page.locator('header')), /Manage APIs/, 'no admin pages for developers');

    // Catalog: search narrows the list; the API detail reads the OpenAPI document.
    await page.getByRole('link', { name: DEMO_API.name }).waitFor();
    await screenshot(page, '02-catalog');
    await page.getByLabel('Search APIs').fill('no such thing');
    await page.getByText('No API matches your search.').waitFor();
    await page.getByLabel('Search APIs').fill('twit');
    await page.getByRole('link', { name: DEMO_API.name }).click();
    await page.getByRole('heading', { name: /Twitter Search/ }).waitFor();
    const ops = page.locator('.ops');
    await ops.getByText('/search.atom').waitFor();
    assert.match(await textOf(ops), /GET\s+\/search\.atom\s+Search posts as an Atom feed/);
    assert.match(await textOf(ops), /DELETE\s+\/posts\/\{id\}/);
    assert.match(
      await textOf(page.locator('.facts').first()),
      new RegExp(`${stack.gatewayUrl}/twitter/1.0.0`),
    );
    await page.getByText('You have no application yet.').waitFor();
    await screenshot(page, '03-api-detail');

    // Applications: create one.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByText('You have no applications yet.').waitFor();
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByText('Give the application a name.').waitFor();
    await page.getByLabel('Name').fill('Alice Mobile <b>app</b>');
    await page.getByLabel('Description (optional)').fill('Our iOS client');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alice Mobile <b>app</b>' }).waitFor();
    assert.equal(await page.locator('h1 b').count(), 0, 'user text is escaped, never HTML');
    state.aliceAppUrl = page.url();
    state.aliceAppId = /\/applications\/(app_[0-9a-f]{32})/.exec(page.url())?.[1];
    assert.ok(state.aliceAppId, page.url());
    await screenshot(page, '04-application');

    // Subscribe it to the API with a tier.
    await appSection(page, 'Subscriptions').click();
    await page.getByText('No subscriptions yet').waitFor();
    await page.getByLabel('API', { exact: true }).selectOption({ label: `${DEMO_API.name} v1.0.0` });
    await page.getByLabel('Tier').selectOption('Gold');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const row = page.getByRole('row', { name: /Twitter Search v1\.0\.0/ });
    await row.waitFor();
    assert.equal(await row.getByLabel('Tier for Twitter Search').inputValue(), 'Gold');
    assert.match(await textOf(row), /ACTIVE/);
    await screenshot(page, '05-subscriptions');

    // Keys: the Production tab; wrong input is explained before anything is sent.
    await appSection(page, 'Keys').click();
    const tab = page.getByRole('tab', { name: 'Production keys' });
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByLabel('Allowed domains').fill('https://app.example.com/path\n*.*.example.com');
    await panel.getByLabel('Token validity (seconds)').fill('5');
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByText('“https://app.example.com/path”: enter a host name').waitFor();
    await panel.getByText('a wildcard is only allowed as the first label').waitFor();
    await panel.getByText('Token validity must be between 60 and').waitFor();
    assert.equal(await panel.getByLabel('Allowed domains').getAttribute('aria-invalid'), 'true');
    await screenshot(page, '06-keys-validation');

    await panel.getByLabel('Allowed domains').fill('app.example.com');
    await panel.getByLabel('Token validity (seconds)').fill('3600');
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    const consumerKey = await textOf(panel.getByTestId('consumer-key-production'));
    const consumerSecret = await textOf(panel.getByTestId('consumer-secret-production'));
    assert.ok(consumerKey.length > 8 && consumerSecret.length > 16, 'consumer key and secret are shown');
    await panel.getByText('it is shown only once').first().waitFor();
    await panel.getByRole('button', { name: 'Copy Consumer secret' }).click();
    assert.equal(await clipboard(page), consumerSecret);

    // The access token: shown once, copied with one click.
    await panel.getByRole('button', { name: 'Generate access token' }).click();
    const shownToken = await textOf(panel.getByTestId('access-token-production'));
    await panel.getByRole('button', { name: 'Copy Access token' }).click();
    const token = await clipboard(page);
    assert.equal(token, shownToken);
    const facts = await stack.introspect(token);
    assert.equal(facts['active'], true, JSON.stringify(facts));
    assert.equal(facts['client_id'], consumerKey);
    assert.equal(facts['key_type'], 'PRODUCTION');
    state.token = token;
    state.consumerKey = consumerKey;

    // The ready-to-copy curl: the token, the client domain header, the gateway URL of the API.
    await panel.getByRole('button', { name: 'Copy curl command' }).click();
    const curl = await clipboard(page);
    assert.ok(curl.includes(`Authorization: Bearer ${token}`), curl);
    assert.ok(curl.includes("'Origin: https://app.example.com'"), curl);
    assert.ok(curl.includes(`'${stack.gatewayUrl}/twitter/1.0.0/search.atom?q=cat'`), curl);
    await screenshot(page, '07-keys-production');

    // It works through the gateway (once the gateway has followed the store's events)…
    const ok = await waitFor(
      async () => {
        const r = await shell(curl);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the copied curl command never answered 200' },
    );
    assert.match(ok.output, /<feed/);
    assert.match(ok.output, /x-upstream-environment: production/i);
    // …and the domain header is what lets it through: without it, the restricted key is refused.
    const noDomain = await shell(curl.replace(/ {2}-H 'Origin: [^']*' \\\n/, ''));
    assert.equal(noDomain.status, 403, noDomain.output);

    // Sandbox is its own tab (arrow keys move between tabs) and has no keys yet.
    await tab.focus();
    await page.keyboard.press('ArrowRight');
    const sandboxTab = page.getByRole('tab', { name: 'Sandbox keys' });
    assert.equal(await sandboxTab.getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sandbox keys');
    await page
      .getByRole('tabpanel', { name: 'Sandbox keys' })
      .getByRole('button', { name: 'Generate keys' })
      .waitFor();
    await screenshot(page, '08-keys-sandbox');

    // Sandbox keys (any domain) reach the API's sandbox endpoint through the same gateway URL.
    const sandbox = page.getByRole('tabpanel', { name: 'Sandbox keys' });
    await sandbox.getByRole('button', { name: 'Generate keys' }).click();
    await sandbox.getByRole('button', { name: 'Generate access token' }).click();
    const sandboxToken = await textOf(sandbox.getByTestId('access-token-sandbox'));
    assert.equal((await stack.introspect(sandboxToken))['key_type'], 'SANDBOX');
    await sandbox.getByRole('button', { name: 'Copy curl command' }).click();
    const sandboxCurl = await clipboard(page);
    assert.ok(sandboxCurl.includes(`Bearer ${sandboxToken}`), sandboxCurl);
    const viaSandbox = await waitFor(
      async () => {
        const r = await shell(sandboxCurl);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the sandbox curl command never answered 200' },
    );
    assert.match(viaSandbox.output, /x-upstream-environment: sandbox/i);
    assert.deepEqual(alice.problems, []);
  });

  test('Regenerate issues the access token with the validity the form shows, saved or not, and says which', async (t) => {
    // Its own developer and application, so it neither leans on the other journeys nor changes
    // what they see (they index users[] and expect bob without applications).
    const carol = await newUser(browser, stack.storeUrl);
    t.after(() => carol.context.close());
    const { page } = carol;
    await signIn(carol, stack.storeUrl, 'carol');
    await page.goto(`${stack.storeUrl}/applications`);
    await page.getByLabel('Name').fill('Validity check app');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Validity check app' }).waitFor();
    await page.goto(`${page.url()}/keys?type=sandbox`);
    const panel = page.getByRole('tabpanel', { name: 'Sandbox keys' });
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByTestId('consumer-key-sandbox').waitFor();
    // Typed, not saved: the token still gets 7200 s, and the page says so.
    await panel.getByLabel('Token validity (seconds)').fill('7200');
    await panel.getByText('valid for 2 hours (the token validity in Key settings)').waitFor();
    await panel.getByRole('button', { name: /^(Generate|Regenerate) access token$/ }).click();
    const twoHours = await textOf(panel.getByTestId('access-token-sandbox'));
    await panel
      .getByText('Issued with a validity of 7200 seconds (2 hours). It expires in 2 hours.')
      .waitFor();
    const i1 = await stack.introspect(twoHours);
    assert.equal(Number(i1['exp']) - Number(i1['iat']), 7200, JSON.stringify(i1));
    await screenshot(page, 'keys-regenerate-validity-1280');
    // -1: a token that never expires, and the wording is "never expires", not "valid for never expires".
    await panel.getByLabel('Token validity (seconds)').fill('-1');
    await panel.getByText('that never expires (the token validity in Key settings)').waitFor();
    await panel.getByRole('button', { name: 'Regenerate access token' }).click();
    await panel.getByText('Issued with a validity of -1 seconds (never expires).').waitFor();
    const never = await textOf(panel.getByTestId('access-token-sandbox'));
    assert.notEqual(never, twoHours);
    const i2 = await stack.introspect(never);
    assert.equal(i2['active'], true);
    assert.equal(i2['exp'], undefined, JSON.stringify(i2));
    assert.equal((await textOf(panel)).includes('valid for never expires'), false);
    // A value outside the bounds is explained and no token is requested.
    await panel.getByLabel('Token validity (seconds)').fill('abc');
    await panel.getByRole('button', { name: 'Regenerate access token' }).click();
    await panel
      .getByText(/Enter a whole number of seconds.*Correct the token validity in Key settings\./)
      .waitFor();
    assert.equal(await textOf(panel.getByTestId('access-token-sandbox')), never);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'keys-regenerate-validity-390');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('regenerating the secret and the access token (the previous token is revoked); key settings can be changed; a 4xx shows the API message', async () => {
    assert.ok(state.aliceAppUrl && state.token, 'needs the previous journey');
    const { page } = users[0]!;
    await page.goto(`${state.aliceAppUrl}/keys`);
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByTestId('consumer-key-production').waitFor();
    // After a reload the secret is not shown again.
    assert.equal(await panel.getByTestId('consumer-secret-production').count(), 0);
    await panel.getByText('The consumer secret was shown once').waitFor();
    await panel.getByRole('button', { name: 'Generate access token' }).click();
    const fresh = await textOf(panel.getByTestId('access-token-production'));
    assert.notEqual(fresh, state.token);
    await waitFor(async () => (await stack.introspect(state.token!))['active'] === false, {
      timeoutMs: 10_000,
      message: 'the previous token stayed active',
    });
    assert.equal((await stack.introspect(fresh))['active'], true);
    // A new consumer secret, after confirmation, shown once.
    await panel.getByRole('button', { name: 'Regenerate secret' }).click();
    await page
      .getByRole('dialog', { name: 'Regenerate the consumer secret?' })
      .getByRole('button', { name: 'Regenerate secret' })
      .click();
    const newSecret = await textOf(panel.getByTestId('consumer-secret-production'));
    assert.match(newSecret, /\S{16,}/);
    await waitFor(async () => (await stack.introspect(fresh))['active'] === false, {
      timeoutMs: 10_000,
      message: 'a new secret left the earlier token active',
    });
    // The token of the old secret is gone from the page too.
    assert.equal(await panel.getByTestId('access-token-production').count(), 0);

    // Allowed domains and token validity can be changed later, with the same validation.
    await panel.getByLabel('Allowed domains').fill('ALL\napp.example.com');
    await panel.getByRole('button', { name: 'Save settings' }).click();
    await panel.getByText('“ALL” cannot be combined with other domains.').waitFor();
    await panel.getByLabel('Allowed domains').fill('*.example.com');
    await panel.getByLabel('Token validity (seconds)').fill('-1');
    await panel.getByRole('button', { name: 'Save settings' }).click();
    await panel.getByText('Settings saved.').waitFor();
    await page.reload();
    assert.equal(await panel.getByLabel('Allowed domains').inputValue(), '*.example.com');
    assert.equal(await panel.getByLabel('Token validity (seconds)').inputValue(), '-1');

    // A 4xx from the API: its message is shown as is (a taken name on the Name field, no retry).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByLabel('Name').fill('Alice Mobile <b>app</b>');
    await page.getByRole('button', { name: 'Create application' }).click();
    const fieldError = page.locator('.field-invalid .field-error');
    await fieldError.waitFor();
    assert.match(await textOf(fieldError), /already|exists|taken/i);
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0, 'no retry for a 4xx');
  });

  test('an admin creates an API, publishes and edits it, and developers then find it in the catalog; admins add tiers', async () => {
    const admin = await user();
    const { page } = admin;
    await signIn(admin, stack.storeUrl, 'admin');
    await page.getByRole('link', { name: 'Manage APIs' }).click();
    await page.getByRole('heading', { name: 'Manage APIs' }).waitFor();
    await page.getByRole('cell', { name: DEMO_API.name }).waitFor();
    await screenshot(page, '09-admin-apis');
    await page.getByRole('link', { name: 'New API' }).click();

    await page.getByRole('button', { name: 'Create API' }).click();
    await page.getByText('Enter a name.').waitFor();
    await page.getByText('A path such as /twitter/1.0.0.').waitFor();
    await page.getByLabel('Name').fill('Weather');
    await page.getByLabel('Version').fill('2.1.0');
    await page.getByLabel('Context').fill('/weather/2.1.0');
    await page.getByLabel('Description').fill('Forecasts for any city.');
    await page.getByLabel('Production endpoint URL').fill('http://127.0.0.1:9/weather');
    await page
      .getByLabel('OpenAPI document (JSON, optional)')
      .fill('{"paths": {"/forecast": {"get": {"summary": "Forecast"}}}}');
    await screenshot(page, '10-admin-api-new');
    await page.getByRole('button', { name: 'Create API' }).click();
    await page.getByRole('heading', { level: 1, name: /Weather/ }).waitFor();
    const lifecycle = page.getByRole('region', { name: 'Lifecycle' });
    await lifecycle.getByText('CREATED').waitFor();

    // Not yet visible to developers.
    const bob = await user();
    await signIn(bob, stack.storeUrl, 'bob');
    await bob.page.getByRole('link', { name: DEMO_API.name }).waitFor();
    assert.equal(await bob.page.getByRole('link', { name: 'Weather' }).count(), 0);

    await lifecycle.getByRole('button', { name: 'Publish' }).click();
    await lifecycle.getByText('PUBLISHED').waitFor();
    await lifecycle.getByRole('button', { name: 'Deprecate' }).waitFor();
    await screenshot(page, '11-admin-api-edit');
    await page.getByLabel('Description').fill('Forecasts for any city, hourly.');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();

    await bob.page.reload();
    await bob.page.getByRole('link', { name: 'Weather' }).click();
    await bob.page.locator('.ops').getByText('/forecast').waitFor();
    await bob.page.getByText('Forecasts for any city, hourly.').waitFor();

    // Tiers: an admin adds a custom one.
    await page.getByRole('link', { name: 'Tiers' }).click();
    await page.getByLabel('Name').fill('Platinum');
    await page.getByLabel('Requests').fill('5000');
    await page.getByRole('button', { name: 'Save tier' }).click();
    await page.getByRole('row', { name: /Platinum/ }).waitFor();
    assert.match(await textOf(page.getByRole('row', { name: /Platinum/ })), /5,000 requests per minute/);
    await screenshot(page, '12-admin-tiers');
    assert.deepEqual(admin.problems, []);
  });

  test("a developer cannot see another developer's applications", async () => {
    assert.ok(state.aliceAppId, 'needs the developer journey');
    const bob = users[2]!;
    const { page } = bob;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.getByText('You have no applications yet.').waitFor();
    assert.equal(await page.getByText('Alice Mobile').count(), 0);

    // Even with the address of Alice's application: the API's 404 message, no data.
    await page.goto(`${stack.storeUrl}/applications/${state.aliceAppId}/keys`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await textOf(alert), /not found|no such/i);
    assert.equal(await page.getByText('Alice Mobile').count(), 0);
    assert.equal(await page.getByText(state.consumerKey!).count(), 0);
    await screenshot(page, '13-foreign-application');

    // Admin pages are not routed for developers (and the API refuses them anyway).
    await page.goto(`${stack.storeUrl}/admin/apis/new`);
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    assert.deepEqual(bob.problems, []);
  });

  test('an application is edited; unsubscribe, revoke keys and delete ask for confirmation (Escape cancels) and then happen', async () => {
    assert.ok(state.aliceAppUrl && state.consumerKey, 'needs the developer journey');
    const { page } = users[0]!;
    await page.goto(`${state.aliceAppUrl}/subscriptions`);
    await page.getByRole('button', { name: 'Unsubscribe from Twitter Search' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unsubscribe from Twitter Search?' });
    await dialog.waitFor();
    await screenshot(page, '14-confirm-unsubscribe');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.getByRole('row', { name: /Twitter Search/ }).count(), 1, 'Escape cancelled');
    await page.getByRole('button', { name: 'Unsubscribe from Twitter Search' }).click();
    await dialog.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByText('No subscriptions yet').waitFor();

    await appSection(page, 'Keys').click();
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByRole('button', { name: 'Revoke production keys' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke the production keys?' })
      .getByRole('button', { name: 'Revoke keys' })
      .click();
    await panel.getByRole('button', { name: 'Generate keys' }).waitFor();

    await appSection(page, 'Overview').click();
    await page.getByLabel('Name').fill('Alice Mobile v2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alice Mobile v2' }).waitFor();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('button', { name: 'Delete application' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete application' }).click();
    await page.waitForURL(`${stack.storeUrl}/applications`);
    await page.getByText('You have no applications yet.').waitFor();
  });

  test('when the key-manager is down a 5xx offers a retry, and the retry works once it is back', async () => {
    const { page } = users[0]!;
    await page.goto(`${stack.storeUrl}/applications`);
    await page.getByLabel('Name').fill('Retry demo');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Retry demo' }).waitFor();
    await appSection(page, 'Keys').click();
    const panel = page.getByRole('tabpanel', { name: 'Production keys' });
    await panel.getByRole('button', { name: 'Generate keys' }).click();
    await panel.getByTestId('consumer-key-production').waitFor();

    await stack.stop('key-manager');
    try {
      await panel.getByRole('button', { name: 'Generate access token' }).click();
      const alert = panel.getByRole('alert');
      await alert.waitFor();
      assert.match(await textOf(alert), /temporarily unavailable|try again/i);
      await screenshot(page, '15-retry');
    } finally {
      await stack.start('key-manager');
    }
    await panel.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
    const token = await textOf(panel.getByTestId('access-token-production'));
    assert.equal((await stack.introspect(token))['active'], true);
  });

  test('the pages fit a phone screen; signing out ends the session everywhere', async () => {
    const { page, context } = users[0]!;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.storeUrl}/apis`);
    await page.getByRole('link', { name: DEMO_API.name }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await screenshot(page, '16-catalog-phone');

    // Sign out in another tab: the portal session is gone on the server and its cookie cleared,
    // and the key-manager's session ends too (after its confirmation), back on the portal.
    const other = await context.newPage();
    await other.goto(`${stack.storeUrl}/applications`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL((url) => url.href.startsWith(`${stack.keyManagerUrl}/session/end`));
    const cookies = await context.cookies(stack.storeUrl);
    assert.equal(cookies.filter((c) => c.name.includes('portico_session')).length, 0);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL(`${stack.storeUrl}/`);
    await other.getByRole('link', { name: 'Sign in to get started' }).click();
    // A password is asked again: nobody is silently signed back in on a shared computer.
    await other.getByLabel('Password').waitFor();
    await other.goto(`${stack.storeUrl}/`);
    assert.equal(await other.evaluate(async () => (await fetch('/api/v1/me')).status), 401);

    // The first tab finds out on its next request and offers to sign in again.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Your session has ended. Sign in again to continue.').waitFor();
    assert.match(
      (await alert.getByRole('link', { name: 'Sign in again' }).getAttribute('href')) ?? '',
      /^\/auth\/login\?returnTo=%2Fapplications$/,
    );
  });
});
