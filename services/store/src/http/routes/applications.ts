/** Applications: a developer's own (admins: all). Deleting one deletes its keys at the key-manager. */
import { z } from 'zod';
import type { ApplicationService } from '../../domain/applications.ts';
import { presentApplication } from '../present.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, applicationId, text, tierName } from '../schemas.ts';
import { keySummary } from './keys.ts';

export const applicationCreate = z
  .strictObject({
    name: text(200),
    description: z.string().max(1000).optional(),
    tier: tierName.nullable().optional(),
  })
  .meta({ id: 'ApplicationCreate' });
export const applicationUpdate = z
  .strictObject({
    name: text(200).optional(),
    description: z.string().max(1000).optional(),
    tier: tierName.nullable().optional(),
  })
  .meta({ id: 'ApplicationUpdate' });
export const application = z
  .object({
    id: applicationId,
    name: z.string(),
    description: z.string(),
    owner: z.string(),
    tier: z.string().nullable(),
    /** DELETING: deletion has begun and finishes in the background (the key-manager was unreachable). */
    status: z.enum(['ACTIVE', 'DELETING']),
    keys: z.array(keySummary),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Application' });
export const applicationList = z.object({ items: z.array(application) }).meta({ id: 'ApplicationList' });

const params = z.object({ applicationId });

export function applicationRoutes(applications: ApplicationService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/applications`,
      operationId: 'listApplications',
      summary: 'List my applications (admins: all)',
      tag: 'applications',
      access: 'user',
      responses: { 200: { description: 'Applications', schema: applicationList } },
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: (await applications.list(principal)).map(presentApplication) },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/applications`,
      operationId: 'createApplication',
      summary: 'Create an application (owner = the caller)',
      tag: 'applications',
      access: 'user',
      body: applicationCreate,
      responses: {
        201: { description: 'Created', schema: application },
        409: { description: 'Name taken' },
      },
      handler: async ({ principal, body }) => ({
        status: 201,
        body: presentApplication(await applications.create(principal, body)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/applications/:applicationId`,
      operationId: 'getApplication',
      summary: 'Get one of my applications',
      tag: 'applications',
      access: 'user',
      params,
      responses: { 200: { description: 'The application', schema: application } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentApplication(await applications.get(principal, params.applicationId)),
      }),
    }),
    route({
      method: 'patch',
      path: `${API}/applications/:applicationId`,
      operationId: 'updateApplication',
      summary: 'Rename, describe or change the tier of an application',
      tag: 'applications',
      access: 'user',
      params,
      body: applicationUpdate,
      responses: { 200: { description: 'Updated', schema: application } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentApplication(await applications.update(principal, params.applicationId, body)),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/applications/:applicationId`,
      operationId: 'deleteApplication',
      summary: 'Delete an application: its keys are deleted at the key-manager (all tokens revoked)',
      tag: 'applications',
      access: 'user',
      params,
      responses: {
        204: { description: 'Deleted' },
        503: {
          description: 'Key-manager unavailable: deletion continues in the background; retrying is safe',
        },
      },
      handler: async ({ principal, params }) => {
        await applications.delete(principal, params.applicationId);
        return { status: 204 };
      },
    }),
  ];
}
