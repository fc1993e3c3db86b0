/** The declarative catalog: apply a document (APIs and tiers) or re-read CATALOG_FILE. */
import { conflict } from '@portico/core';
import { z } from 'zod';
import type { CatalogService } from '../../domain/catalog.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, lifecycle, tierName } from '../schemas.ts';
import { apiFields } from './apis.ts';
import { tierBody } from './tiers.ts';

/** The format of CATALOG_FILE too (catalog-file.ts): one schema for both. */
export const catalogDocument = z
  .strictObject({
    tiers: z
      .array(tierBody.extend({ name: tierName }))
      .max(500)
      .optional(),
    apis: z
      .array(z.strictObject({ ...apiFields, lifecycle: lifecycle.optional() }))
      .max(2000)
      .optional(),
  })
  .meta({ id: 'CatalogDocument' });
export const catalogImportResult = z
  .object({
    tiers: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
    apis: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
  })
  .meta({ id: 'CatalogImportResult' });

export interface AdminRouteDeps {
  catalog: CatalogService;
  /** Re-reads CATALOG_FILE and applies it; undefined when no file is configured. */
  reloadCatalog: (() => ReturnType<CatalogService['applyCatalog']>) | undefined;
}

export function adminRoutes(d: AdminRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: `${API}/admin/catalog`,
      operationId: 'importCatalog',
      summary: 'Apply a catalog document (APIs and tiers) idempotently',
      description: 'Same format as CATALOG_FILE, as JSON or YAML (application/yaml).',
      tag: 'admin',
      access: 'admin',
      body: catalogDocument,
      extraMediaTypes: ['application/yaml'],
      responses: { 200: { description: 'Applied', schema: catalogImportResult } },
      handler: async ({ body }) => ({ status: 200, body: await d.catalog.applyCatalog(body) }),
    }),
    route({
      method: 'post',
      path: `${API}/admin/catalog/reload`,
      operationId: 'reloadCatalogFile',
      summary: 'Re-read CATALOG_FILE and apply it idempotently',
      tag: 'admin',
      access: 'admin',
      responses: {
        200: { description: 'Applied', schema: catalogImportResult },
        409: { description: 'No CATALOG_FILE configured' },
      },
      handler: async () => {
        if (!d.reloadCatalog) throw conflict('No CATALOG_FILE is configured', 'no_catalog_file');
        return { status: 200, body: await d.reloadCatalog() };
      },
    }),
  ];
}
