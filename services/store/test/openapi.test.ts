import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { Router } from 'express';
import { openApiPath } from '../src/http/openapi.ts';
import type { Harness } from './harness.ts';
import { ADMIN, startHarness } from './harness.ts';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: Router & { stack?: Layer[] };
}

/** Every (method, path) express would answer, walking nested routers. */
function expressRoutes(stack: Layer[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push([method, layer.route.path]);
      }
    } else if (layer.handle?.stack) {
      out.push(...expressRoutes(layer.handle.stack));
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ consume: false });
  });
  after(() => h.close());

  it('is served and passes a real OpenAPI 3.1 validator', async () => {
    const res = await h.call('GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const result = await validate(structuredClone(res.body));
    assert.equal(result.valid, true, result.valid ? '' : compileErrors(result));
  });

  it('documents every express route, and nothing that is not a route', () => {
    const doc = h.store.openApi as { paths: Record<string, Record<string, unknown>> };
    const routes = expressRoutes((h.store.app as unknown as { router: { stack: Layer[] } }).router.stack);
    assert.ok(routes.length > 30, `found ${routes.length} routes`);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    const served = new Set(routes.map(([m, p]) => `${m} ${openApiPath(p)}`));
    for (const r of served) assert.ok(documented.has(r), `route not in the OpenAPI document: ${r}`);
    for (const d of documented) assert.ok(served.has(d), `documented but not served: ${d}`);
  });

  it('validates requests with the schemas the document shows (one source)', async () => {
    const doc = h.store.openApi as {
      components: { schemas: Record<string, { required?: string[]; additionalProperties?: boolean }> };
    };
    const create = doc.components.schemas['ApplicationCreate']!;
    assert.deepEqual(create.required, ['name']);
    assert.equal(create.additionalProperties, false);
    // what the document forbids, the API refuses
    const token = h.user(ADMIN, ['developer', 'admin']);
    const res = await h.call('POST', '/api/v1/applications', { token, body: { name: 'x', extra: 1 } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details[0].message.includes('extra'), true);
  });
});
