/**
 * The OpenAPI 3.1 document, generated from the route declarations and their zod schemas
 * (z.toJSONSchema; named schemas become components). Nothing here is written by hand except
 * the operational endpoints the shared HTTP skeleton serves (/healthz, /readyz; /metrics is on ADMIN_PORT).
 */
import { z } from 'zod';
import type { RouteSpec } from './route.ts';
import { errorResponse } from './schemas.ts';

type Json = Record<string, unknown>;

const SECURITY: Record<string, Json[]> = {
  public: [],
  user: [{ bearerAuth: [] }, { sessionCookie: [] }],
  admin: [{ bearerAuth: [] }, { sessionCookie: [] }],
  gateway: [{ readModelToken: [] }],
};

export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function buildOpenApi(routes: RouteSpec[], info: { version: string; serverUrl: string }): Json {
  // Register the error schema so it is a component like the others.
  void errorResponse;
  const components = (
    z.toJSONSchema(z.globalRegistry, {
      uri: (id) => `#/components/schemas/${id}`,
      io: 'input',
      unrepresentable: 'any',
    }) as { schemas: Record<string, Json> }
  ).schemas;
  for (const schema of Object.values(components)) {
    delete schema['$schema'];
    delete schema['$id'];
  }

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = openApiPath(r.path);
    paths[path] ??= {};
    const operation: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: SECURITY[r.access],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: responses(r),
    };
    if (r.description) operation['description'] = r.description;
    if (r.access === 'admin')
      operation['description'] = `${r.description ?? ''} Requires the admin role.`.trim();
    if (r.body) {
      const schema = schemaRef(r.body, 'input');
      const content: Json = { 'application/json': { schema } };
      for (const type of r.extraMediaTypes ?? []) content[type] = { schema };
      operation['requestBody'] = { required: !r.bodyOptional, content };
    }
    paths[path][r.method] = operation;
  }
  for (const [path, summary] of [
    ['/healthz', 'Liveness'],
    ['/readyz', 'Readiness (MongoDB; Kafka outages wait in the outbox)'],
  ] as const) {
    paths[path] = {
      get: {
        operationId: path.slice(1),
        summary,
        tags: ['operations'],
        security: [],
        responses: {
          '200': { description: 'OK' },
          ...(path === '/readyz' ? { '503': { description: 'Not ready' } } : {}),
        },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Portico store API',
      version: info.version,
      description:
        'Developer portal REST API: API catalog, tiers, applications, subscriptions and application keys. ' +
        'Cookie-authenticated writes must send the session CSRF token in `x-csrf-token`.',
    },
    servers: [{ url: info.serverUrl }],
    tags: [...new Set(routes.map((r) => r.tag)), 'operations'].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A user access token from the key-manager',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'portico_session' },
        readModelToken: { type: 'http', scheme: 'bearer', description: 'READ_MODEL_TOKEN (gateways only)' },
      },
    },
  };
}

function schemaRef(schema: z.ZodType, io: 'input' | 'output'): Json {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `#/components/schemas/${id}` };
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete json['$schema'];
  return json;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, example, ...rest } = s as Json & { description?: string; example?: unknown };
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema: rest,
      ...(description ? { description } : {}),
      ...(example !== undefined ? { example } : {}),
    };
  });
}

function responses(r: RouteSpec): Json {
  const out: Json = {};
  for (const [status, resp] of Object.entries(r.responses)) {
    out[status] = resp.schema
      ? {
          description: resp.description,
          content: { [resp.contentType ?? 'application/json']: { schema: schemaRef(resp.schema, 'output') } },
        }
      : { description: resp.description };
  }
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  if (r.body || r.query) out['400'] ??= error('Invalid request');
  if (r.body) {
    out['413'] ??= error('Request body too large');
    out['415'] ??= error('Unsupported content type');
  }
  if (r.access !== 'public') out['401'] ??= error('Not authenticated');
  if (r.access === 'admin' || r.access === 'user') out['403'] ??= error('Forbidden (role or CSRF token)');
  if (r.params) out['404'] ??= error('Not found (or not yours)');
  out['503'] ??= error('A dependency is unavailable; retry after Retry-After seconds');
  return out;
}
