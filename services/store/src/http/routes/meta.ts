/** The API's own description. */
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API } from '../schemas.ts';

export function metaRoutes(openApi: () => Record<string, unknown>): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/openapi.json`,
      operationId: 'getOpenApi',
      summary: 'This OpenAPI document',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'OpenAPI 3.1 document' } },
      handler: () => ({ status: 200, body: openApi() }),
    }),
  ];
}
