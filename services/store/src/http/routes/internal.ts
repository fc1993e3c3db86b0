/** What the gateways read: the bootstrap snapshot of the read model. */
import type { ReadModelSnapshot } from '@portico/events';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';

export function internalRoutes(readModel: () => Promise<ReadModelSnapshot>): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/internal/read-model',
      operationId: 'getReadModel',
      summary:
        "The gateways' snapshot (routes, tiers, applications and keys, subscriptions) and its Kafka position",
      tag: 'internal',
      access: 'gateway',
      responses: { 200: { description: 'libs/events readModelSnapshot' } },
      handler: async () => ({
        status: 200,
        body: await readModel(),
        headers: { 'cache-control': 'no-store' },
      }),
    }),
  ];
}
