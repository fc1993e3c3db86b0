/** Subscriptions: an application subscribed to a PUBLISHED API with a tier. */
import { z } from 'zod';
import type { ApplicationService } from '../../domain/applications.ts';
import { presentSubscription } from '../present.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, apiId, applicationId, subscriptionId, tierName } from '../schemas.ts';

export const subscriptionCreate = z
  .strictObject({ applicationId, apiId, tier: tierName })
  .meta({ id: 'SubscriptionCreate' });
export const subscriptionUpdate = z
  .strictObject({
    tier: tierName.optional(),
    /** Admins only: block or unblock. */
    status: z.enum(['ACTIVE', 'BLOCKED']).optional(),
  })
  .meta({ id: 'SubscriptionUpdate' });
export const subscription = z
  .object({
    id: subscriptionId,
    applicationId,
    apiId,
    tier: z.string(),
    status: z.enum(['ACTIVE', 'BLOCKED']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscription' });
export const subscriptionList = z.object({ items: z.array(subscription) }).meta({ id: 'SubscriptionList' });
export const subscriptionQuery = z.strictObject({ applicationId: applicationId.optional() });

const params = z.object({ subscriptionId });

export function subscriptionRoutes(applications: ApplicationService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/subscriptions`,
      operationId: 'listSubscriptions',
      summary: 'List my subscriptions (optionally of one application)',
      tag: 'subscriptions',
      access: 'user',
      query: subscriptionQuery,
      responses: { 200: { description: 'Subscriptions', schema: subscriptionList } },
      handler: async ({ principal, query }) => ({
        status: 200,
        body: {
          items: (await applications.listSubscriptions(principal, query.applicationId)).map(
            presentSubscription,
          ),
        },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/subscriptions`,
      operationId: 'subscribe',
      summary: 'Subscribe an application to a PUBLISHED API with a tier',
      tag: 'subscriptions',
      access: 'user',
      body: subscriptionCreate,
      responses: {
        201: { description: 'Subscribed', schema: subscription },
        404: { description: 'Application or API not found (or not yours)' },
        409: { description: 'Already subscribed, or the API is not PUBLISHED' },
      },
      handler: async ({ principal, body }) => ({
        status: 201,
        body: presentSubscription(await applications.subscribe(principal, body)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'getSubscription',
      summary: 'Get a subscription',
      tag: 'subscriptions',
      access: 'user',
      params,
      responses: { 200: { description: 'The subscription', schema: subscription } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentSubscription(await applications.getSubscription(principal, params.subscriptionId)),
      }),
    }),
    route({
      method: 'patch',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'updateSubscription',
      summary: 'Change the tier (admins: also block/unblock)',
      tag: 'subscriptions',
      access: 'user',
      params,
      body: subscriptionUpdate,
      responses: { 200: { description: 'Updated', schema: subscription } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentSubscription(
          await applications.updateSubscription(principal, params.subscriptionId, body),
        ),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'unsubscribe',
      summary: 'Remove a subscription (gateways refuse the application on that API at once)',
      tag: 'subscriptions',
      access: 'user',
      params,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ principal, params }) => {
        await applications.unsubscribe(principal, params.subscriptionId);
        return { status: 204 };
      },
    }),
  ];
}
