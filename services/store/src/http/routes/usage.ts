/**
 * Usage: what the gateways counted for an application (its owner, or an admin) and, for
 * admins, for an API across applications (docs/adr/0082).
 */
import type { ApiUsage } from '@portico/contracts';
import { z } from 'zod';
import type { ApplicationService } from '../../domain/applications.ts';
import type { CatalogService } from '../../domain/catalog.ts';
import type { UsageLedger } from '../../usage/ledger.ts';
import { topApplications, usageReport } from '../../usage/report.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, apiId, applicationId } from '../schemas.ts';

const HOUR = 3_600_000;

export const usageQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  granularity: z.enum(['minute', 'hour', 'day']).default('hour'),
  apiId: apiId.optional(),
  keyType: z.enum(['PRODUCTION', 'SANDBOX']).optional(),
});

const point = z.object({
  time: z.string(),
  requests: z.number(),
  errors4xx: z.number(),
  errors5xx: z.number(),
  throttled: z.number(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
});
const report = {
  granularity: z.enum(['minute', 'hour', 'day']),
  from: z.string(),
  to: z.string(),
  series: z.array(point),
  totals: point.omit({ time: true }),
};
export const applicationUsage = z
  .object({
    applicationId: z.string(),
    ...report,
    lastUsed: z.array(
      z.object({
        clientId: z.string(),
        keyType: z.enum(['PRODUCTION', 'SANDBOX']).nullable(),
        at: z.string(),
      }),
    ),
  })
  .meta({ id: 'ApplicationUsage' });
export const apiUsage = z
  .object({
    apiId: z.string(),
    ...report,
    topApplications: z.array(
      z.object({
        applicationId: z.string(),
        name: z.string().nullable().meta({ description: 'null when the application was deleted' }),
        requests: z.number(),
      }),
    ),
  })
  .meta({ id: 'ApiUsage' });

/** Default range: the last 24 hours (minutes: the last hour). */
function range(q: z.infer<typeof usageQuery>): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const span = q.granularity === 'minute' ? HOUR : q.granularity === 'hour' ? 24 * HOUR : 30 * 24 * HOUR;
  return { from: q.from ? new Date(q.from) : new Date(to.getTime() - span), to };
}

export function usageRoutes(d: {
  ledger: UsageLedger;
  applications: ApplicationService;
  catalog: CatalogService;
}): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/applications/:applicationId/usage`,
      operationId: 'getApplicationUsage',
      summary: 'Requests, errors, throttling and latency of one of my applications over time',
      description:
        'Counted by the gateways per minute and rolled up to hours and days. `errors4xx` includes 401/403; `throttled` counts 429 answers. Default range: the last 24 hours (granularity minute: the last hour).',
      tag: 'usage',
      access: 'user',
      params: z.object({ applicationId }),
      query: usageQuery,
      responses: {
        200: { description: 'Usage series and totals', schema: applicationUsage },
        400: { description: 'Bad range' },
        404: { description: 'No such application (or not yours)' },
      },
      handler: async ({ principal, params, query }) => {
        const app = await d.applications.get(principal, params.applicationId);
        const { from, to } = range(query);
        const filter = {
          applicationId: app._id,
          ...(query.apiId ? { apiId: query.apiId } : {}),
          ...(query.keyType ? { keyType: query.keyType } : {}),
        };
        const body = await usageReport(d.ledger, filter, query.granularity, from, to);
        const lastUsed = (await d.ledger.lastUsedOf(app._id)).map((u) => ({
          clientId: u._id,
          keyType: u.keyType,
          at: u.at.toISOString(),
        }));
        return { status: 200, body: { applicationId: app._id, ...body, lastUsed } };
      },
    }),
    route({
      method: 'get',
      path: `${API}/apis/:apiId/usage`,
      operationId: 'getApiUsage',
      summary: 'Usage of an API across applications, with the top applications (admins)',
      tag: 'usage',
      access: 'admin',
      params: z.object({ apiId }),
      query: usageQuery.omit({ apiId: true }),
      responses: {
        200: {
          description: 'Usage series, totals and the top applications (by requests, with their names)',
          schema: apiUsage,
        },
        400: { description: 'Bad range' },
        404: { description: 'No such API' },
      },
      handler: async ({ principal, params, query }) => {
        const api = await d.catalog.getApi(principal, params.apiId);
        const { from, to } = range(query);
        const filter = { apiId: api._id, ...(query.keyType ? { keyType: query.keyType } : {}) };
        const body = await usageReport(d.ledger, filter, query.granularity, from, to);
        const top = await topApplications(d.ledger, api._id, query.granularity, from, to);
        const names = await d.applications.namesOf(
          principal,
          top.map((t) => t.applicationId),
        );
        const topWithNames = top.map((t) => ({ ...t, name: names.get(t.applicationId) ?? null }));
        const answer: ApiUsage = { apiId: api._id, ...body, topApplications: topWithNames };
        return { status: 200, body: answer };
      },
    }),
  ];
}
