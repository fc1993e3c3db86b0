/** The API catalog: admins write, developers read published public APIs. */

import { MAX_OPEN_RESOURCES } from '@portico/contracts';
import { notFound } from '@portico/core';
import { openResourceSchema } from '@portico/events';
import { z } from 'zod';
import type { CatalogService } from '../../domain/catalog.ts';
import { presentApi } from '../present.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, apiId, contextPath, httpUrl, lifecycle, scope, text, visibility } from '../schemas.ts';

export const apiFields = {
  name: text(200),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a version such as 1.0.0'),
  context: contextPath,
  description: z.string().max(4000).optional(),
  productionUrl: httpUrl,
  sandboxUrl: httpUrl.nullable().optional(),
  scopes: z.array(scope).max(100).optional(),
  /** Resources that need no token (WSO2's auth type None): `{ method, path }`, path relative to the context. */
  openResources: z.array(openResourceSchema).max(MAX_OPEN_RESOURCES).optional(),
  visibility: visibility.optional(),
  /** The API's own OpenAPI document (stored as given, at most ~256 KiB). */
  definition: z.record(z.string(), z.unknown()).optional(),
};
export const apiCreate = z.strictObject(apiFields).meta({ id: 'ApiCreate' });
export const apiUpdate = z
  .strictObject({
    name: apiFields.name.optional(),
    description: apiFields.description,
    productionUrl: apiFields.productionUrl.optional(),
    sandboxUrl: apiFields.sandboxUrl,
    scopes: apiFields.scopes,
    openResources: apiFields.openResources,
    visibility: apiFields.visibility,
    definition: apiFields.definition,
  })
  .meta({ id: 'ApiUpdate', description: 'name/version/context identity: version and context are fixed' });
export const lifecycleChange = z.strictObject({ state: lifecycle }).meta({ id: 'LifecycleChange' });
export const api = z
  .object({
    id: apiId,
    name: z.string(),
    version: z.string(),
    context: z.string(),
    description: z.string(),
    productionUrl: z.string(),
    sandboxUrl: z.string().nullable(),
    scopes: z.array(z.string()),
    openResources: z.array(openResourceSchema),
    visibility,
    lifecycle,
    hasDefinition: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Api' });
export const apiList = z.object({ items: z.array(api) }).meta({ id: 'ApiList' });

const params = z.object({ apiId });

export function apiRoutes(catalog: CatalogService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/apis`,
      operationId: 'listApis',
      summary: 'List APIs (developers: published public APIs)',
      tag: 'catalog',
      access: 'user',
      responses: { 200: { description: 'APIs', schema: apiList } },
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: (await catalog.listApis(principal)).map(presentApi) },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/apis`,
      operationId: 'createApi',
      summary: 'Create an API (lifecycle CREATED)',
      tag: 'catalog',
      access: 'admin',
      body: apiCreate,
      responses: {
        201: { description: 'Created', schema: api },
        409: { description: 'Context or name/version taken' },
      },
      handler: async ({ body }) => ({ status: 201, body: presentApi(await catalog.createApi(body)) }),
    }),
    route({
      method: 'get',
      path: `${API}/apis/:apiId`,
      operationId: 'getApi',
      summary: 'Get an API',
      tag: 'catalog',
      access: 'user',
      params,
      responses: { 200: { description: 'The API', schema: api } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentApi(await catalog.getApi(principal, params.apiId)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/apis/:apiId/definition`,
      operationId: 'getApiDefinition',
      summary: "Get the API's own OpenAPI document",
      tag: 'catalog',
      access: 'user',
      params,
      responses: { 200: { description: 'The definition as stored' } },
      handler: async ({ principal, params }) => {
        const found = await catalog.getApi(principal, params.apiId);
        if (!found.definition) throw notFound('The API has no definition');
        return { status: 200, body: JSON.parse(found.definition) };
      },
    }),
    route({
      method: 'patch',
      path: `${API}/apis/:apiId`,
      operationId: 'updateApi',
      summary: 'Update an API',
      tag: 'catalog',
      access: 'admin',
      params,
      body: apiUpdate,
      responses: { 200: { description: 'Updated', schema: api } },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentApi(await catalog.updateApi(params.apiId, body)),
      }),
    }),
    route({
      method: 'post',
      path: `${API}/apis/:apiId/lifecycle`,
      operationId: 'changeApiLifecycle',
      summary: 'Change the lifecycle state (CREATED, PUBLISHED, DEPRECATED, BLOCKED, RETIRED)',
      tag: 'catalog',
      access: 'admin',
      params,
      body: lifecycleChange,
      responses: {
        200: { description: 'Changed', schema: api },
        409: { description: 'Transition not allowed' },
      },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentApi(await catalog.changeLifecycle(params.apiId, body.state)),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/apis/:apiId`,
      operationId: 'deleteApi',
      summary: 'Delete an API without subscriptions',
      tag: 'catalog',
      access: 'admin',
      params,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'The API has subscriptions' } },
      handler: async ({ params }) => {
        await catalog.deleteApi(params.apiId);
        return { status: 204 };
      },
    }),
  ];
}
