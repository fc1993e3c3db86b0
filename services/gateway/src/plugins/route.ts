/**
 * Route resolution: parse and vet the request target, find the API by the longest matching
 * context, and answer for APIs that cannot be called: unknown or not yet published 404,
 * BLOCKED 403 `api_blocked`, RETIRED 410 `api_retired` (docs/adr/0031).
 */
import { AppError, notFound } from '@portico/core';
import { z } from 'zod';
import { parseTarget } from '../pipeline/path.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import type { ReadModel } from '../readmodel/model.ts';
import { cannotVerify } from './errors.ts';

export function routePlugin(model: ReadModel): GatewayPlugin {
  return {
    name: 'route',
    priority: PRIORITY.route,
    configSchema: z.object({}),
    handle(ctx) {
      if (!model.isLoaded()) throw cannotVerify('The gateway is still loading its routes', 2);
      const target = parseTarget(ctx.req.originalUrl);
      if (target instanceof AppError) throw target;
      const match = model.matchApi(target.path);
      if (!match || match.api.lifecycle === 'CREATED')
        throw notFound('No API matches this path', 'api_not_found');
      if (match.api.lifecycle === 'BLOCKED') {
        throw new AppError('This API is blocked', { status: 403, code: 'api_blocked' });
      }
      if (match.api.lifecycle === 'RETIRED') {
        throw new AppError('This API has been retired', { status: 410, code: 'api_retired' });
      }
      ctx.api = match.api;
      ctx.path = target.path;
      ctx.rest = match.rest;
      ctx.query = target.query;
    },
  };
}
