import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Harness } from './harness.ts';
import { ADMIN, ALICE, startHarness } from './harness.ts';

describe('catalog: APIs, lifecycle and tiers', () => {
  let h: Harness;
  let admin: string;
  let alice: string;
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'store-catalog-'));
    file = path.join(dir, 'catalog.yaml');
    await writeFile(
      file,
      [
        'tiers:',
        '  - { name: Platinum, requests: 20000, unitSeconds: 60, burst: 100, description: top }',
        'apis:',
        '  - name: Weather',
        '    version: 2.0.0',
        '    context: /weather/2.0.0',
        '    productionUrl: https://weather.example.com/v2',
        '    scopes: [weather.read]',
        '    lifecycle: PUBLISHED',
        '',
      ].join('\n'),
    );
    h = await startHarness({ env: { CATALOG_FILE: file } });
    admin = h.user(ADMIN, ['developer', 'admin']);
    alice = h.user(ALICE);
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ships Gold, Silver, Bronze and Unlimited and the tiers of CATALOG_FILE', async () => {
    const res = await h.call('GET', '/api/v1/tiers', { token: alice });
    assert.equal(res.status, 200);
    const names = res.body.items.map((t: { name: string }) => t.name).sort();
    assert.deepEqual(names, ['Bronze', 'Gold', 'Platinum', 'Silver', 'Unlimited']);
    const gold = res.body.items.find((t: { name: string }) => t.name === 'Gold');
    assert.deepEqual(
      { requests: gold.requests, unitSeconds: gold.unitSeconds, builtIn: gold.builtIn },
      {
        requests: 5000,
        unitSeconds: 60,
        builtIn: true,
      },
    );
    const unlimited = res.body.items.find((t: { name: string }) => t.name === 'Unlimited');
    assert.equal(unlimited.requests, null);
  });

  it('applies the catalog file at start-up and again idempotently from the admin endpoint', async () => {
    const apis = await h.call('GET', '/api/v1/apis', { token: alice });
    assert.equal(apis.status, 200);
    const weather = apis.body.items.find((a: { context: string }) => a.context === '/weather/2.0.0');
    assert.equal(weather.lifecycle, 'PUBLISHED');
    const before = (await h.call('GET', `/api/v1/apis/${weather.id}`, { token: admin })).body;
    const again = await h.call('POST', '/api/v1/admin/catalog/reload', { token: admin });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, {
      tiers: { created: 0, updated: 0, unchanged: 1 },
      apis: { created: 0, updated: 0, unchanged: 1 },
    });
    const afterReload = (await h.call('GET', `/api/v1/apis/${weather.id}`, { token: admin })).body;
    assert.equal(afterReload.updatedAt, before.updatedAt, 'an unchanged entry is not rewritten');
  });

  it('imports YAML posted by an admin and updates by context', async () => {
    const yaml = [
      'apis:',
      '  - name: Weather',
      '    version: 2.0.0',
      '    context: /weather/2.0.0',
      '    productionUrl: https://weather2.example.com/v2',
      '    lifecycle: PUBLISHED',
      '  - { name: Maps, version: 1.0.0, context: /maps/1.0.0, productionUrl: "https://maps.example.com" }',
    ].join('\n');
    const res = await h.call('POST', '/api/v1/admin/catalog', {
      token: admin,
      raw: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.apis, { created: 1, updated: 1, unchanged: 0 });
    const bad = await h.call('POST', '/api/v1/admin/catalog', {
      token: admin,
      raw: 'apis: [ {name: x',
      headers: { 'content-type': 'application/yaml' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_yaml');
    const forbidden = await h.call('POST', '/api/v1/admin/catalog', { token: alice, body: { apis: [] } });
    assert.equal(forbidden.status, 403);
  });

  it('lets only admins create APIs; developers see only published public ones', async () => {
    const body = {
      name: 'Twitter',
      version: '1.0.0',
      context: '/twitter/1.0.0',
      productionUrl: 'https://prod.example.com/twitter',
    };
    assert.equal((await h.call('POST', '/api/v1/apis', { token: alice, body })).status, 403);
    const created = await h.call('POST', '/api/v1/apis', { token: admin, body });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^api_[0-9a-f]{32}$/);
    assert.equal(created.body.lifecycle, 'CREATED');
    assert.equal((await h.call('POST', '/api/v1/apis', { token: admin, body })).status, 409);
    // CREATED is invisible to developers
    assert.equal((await h.call('GET', `/api/v1/apis/${created.body.id}`, { token: alice })).status, 404);
    const pub = await h.call('POST', `/api/v1/apis/${created.body.id}/lifecycle`, {
      token: admin,
      body: { state: 'PUBLISHED' },
    });
    assert.equal(pub.status, 200);
    assert.equal((await h.call('GET', `/api/v1/apis/${created.body.id}`, { token: alice })).status, 200);
    // RETIRED is final; a wrong transition says which are allowed
    const bad = await h.call('POST', `/api/v1/apis/${created.body.id}/lifecycle`, {
      token: admin,
      body: { state: 'RETIRED' },
    });
    assert.equal(bad.status, 409);
    assert.match(bad.body.error.message, /allowed: DEPRECATED, BLOCKED, CREATED/);
  });

  it('creates, updates and deletes custom tiers; built-in ones cannot be deleted', async () => {
    const put = await h.call('PUT', '/api/v1/tiers/Trial', {
      token: admin,
      body: { requests: 10, unitSeconds: 60, burst: 2 },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, {
      name: 'Trial',
      description: '',
      requests: 10,
      unitSeconds: 60,
      burst: 2,
      builtIn: false,
    });
    assert.equal((await h.call('PUT', '/api/v1/tiers/Trial', { token: alice, body: put.body })).status, 403);
    assert.equal((await h.call('DELETE', '/api/v1/tiers/Gold', { token: admin })).status, 409);
    assert.equal((await h.call('DELETE', '/api/v1/tiers/Trial', { token: admin })).status, 204);
    assert.equal((await h.call('GET', '/api/v1/tiers/Trial', { token: alice })).status, 404);
  });
  it('creating a tier under a name that exists is 409 tier_exists and leaves that tier as it was; PUT replaces it on purpose', async () => {
    const body = { name: 'Hobby', description: 'For hobby projects', requests: 100, unitSeconds: 60 };
    const created = await h.call('POST', '/api/v1/tiers', { token: admin, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.description, 'For hobby projects');
    const again = await h.call('POST', '/api/v1/tiers', {
      token: admin,
      body: { name: 'Hobby', requests: 5, unitSeconds: 60 },
    });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'tier_exists');
    assert.match(again.body.error.message, /Hobby already exists/);
    const kept = await h.call('GET', '/api/v1/tiers/Hobby', { token: alice });
    assert.equal(kept.body.description, 'For hobby projects');
    assert.equal(kept.body.requests, 100);
    // A built-in tier cannot be created over either.
    const gold = await h.call('POST', '/api/v1/tiers', {
      token: admin,
      body: { name: 'Gold', requests: 1, unitSeconds: 60 },
    });
    assert.equal(gold.status, 409);
    assert.equal((await h.call('POST', '/api/v1/tiers', { token: alice, body })).status, 403);
    // The explicit edit replaces it.
    const edited = await h.call('PUT', '/api/v1/tiers/Hobby', {
      token: admin,
      body: { description: 'For hobby projects', requests: 200, unitSeconds: 60 },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.requests, 200);
    // A deleted custom tier's name can be created again.
    assert.equal((await h.call('DELETE', '/api/v1/tiers/Hobby', { token: admin })).status, 204);
    assert.equal((await h.call('POST', '/api/v1/tiers', { token: admin, body })).status, 201);
  });
});
