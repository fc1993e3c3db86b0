/** Subscription tiers (rate limits): everyone reads, admins write. */
import { z } from 'zod';
import type { CatalogService } from '../../domain/catalog.ts';
import { presentTier } from '../present.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, tierName } from '../schemas.ts';

export const tierBody = z
  .strictObject({
    description: z.string().max(1000).optional(),
    /** Requests allowed per `unitSeconds`; null = unlimited. */
    requests: z.number().int().positive().max(1_000_000_000).nullable(),
    unitSeconds: z
      .number()
      .int()
      .positive()
      .max(31 * 24 * 3600),
    burst: z.number().int().nonnegative().max(1_000_000_000).nullable().optional(),
  })
  .meta({ id: 'TierBody' });
export const tierCreate = tierBody.extend({ name: tierName }).meta({ id: 'TierCreate' });
export const tier = z
  .object({
    name: z.string(),
    description: z.string(),
    requests: z.number().nullable(),
    unitSeconds: z.number(),
    burst: z.number().nullable(),
    builtIn: z.boolean(),
  })
  .meta({ id: 'Tier' });
export const tierList = z.object({ items: z.array(tier) }).meta({ id: 'TierList' });

const params = z.object({ tierName });

export function tierRoutes(catalog: CatalogService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/tiers`,
      operationId: 'listTiers',
      summary: 'List subscription tiers',
      tag: 'catalog',
      access: 'user',
      responses: { 200: { description: 'Tiers', schema: tierList } },
      handler: async () => ({ status: 200, body: { items: (await catalog.listTiers()).map(presentTier) } }),
    }),
    route({
      method: 'post',
      path: `${API}/tiers`,
      operationId: 'createTier',
      summary: 'Create a tier (409 if the name exists: replacing one is PUT)',
      tag: 'catalog',
      access: 'admin',
      body: tierCreate,
      responses: {
        201: { description: 'Created', schema: tier },
        409: { description: 'A tier with this name exists' },
      },
      handler: async ({ body: { name, ...body } }) => ({
        status: 201,
        body: presentTier(await catalog.createTier(name, body)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/tiers/:tierName`,
      operationId: 'getTier',
      summary: 'Get a tier',
      tag: 'catalog',
      access: 'user',
      params,
      responses: { 200: { description: 'The tier', schema: tier } },
      handler: async ({ params }) => ({
        status: 200,
        body: presentTier(await catalog.getTier(params.tierName)),
      }),
    }),
    route({
      method: 'put',
      path: `${API}/tiers/:tierName`,
      operationId: 'putTier',
      summary: 'Create or replace a tier (an explicit edit; the portal creates with POST)',
      tag: 'catalog',
      access: 'admin',
      params,
      body: tierBody,
      responses: { 200: { description: 'Saved', schema: tier } },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentTier((await catalog.putTier(params.tierName, body)).tier),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/tiers/:tierName`,
      operationId: 'deleteTier',
      summary: 'Delete a custom tier that nothing uses',
      tag: 'catalog',
      access: 'admin',
      params,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'Built-in or in use' } },
      handler: async ({ params }) => {
        await catalog.deleteTier(params.tierName);
        return { status: 204 };
      },
    }),
  ];
}
