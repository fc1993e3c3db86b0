/**
 * One route = one declaration: method, path, who may call it, the zod schemas of its params,
 * query and body, and its responses. The same declaration registers the express handler
 * (validation with those schemas, then the handler) and produces the OpenAPI operation, so
 * the document and the validation cannot disagree and no route escapes the document.
 */
import { notFound } from '@portico/core';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Principal } from '../domain/principal.ts';
import { httpError } from './errors.ts';

export type Access = 'public' | 'user' | 'admin' | 'gateway';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Ctx<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** Present on 'user' and 'admin' routes. */
  principal: Principal;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** express-style path (`/applications/:applicationId`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Body optional (an empty body parses as {}). */
  bodyOptional?: boolean;
  /** Extra request media types accepted besides JSON (their parser is the route's concern). */
  extraMediaTypes?: string[];
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler(ctx: Ctx<P, Q, B>): Promise<Reply | undefined> | Reply | undefined;
}

/** Keeps the handler's types tied to the schemas. */
export function route<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export interface Registrar {
  /** Middleware run before validation for a given access level (authentication, CSRF…). */
  guard(access: Access, method: Method): RequestHandler[];
  /** Parsers for request bodies. */
  bodyParsers: RequestHandler[];
}

export function register(router: Router, routes: RouteSpec[], registrar: Registrar): void {
  for (const spec of routes) {
    const handlers: RequestHandler[] = [
      ...registrar.guard(spec.access, spec.method),
      ...(spec.body ? registrar.bodyParsers : []),
      async (req, res, next) => {
        try {
          const params = spec.params ? parseParams(spec, req) : {};
          const query = spec.query ? spec.query.parse(req.query) : {};
          const body = spec.body ? spec.body.parse(bodyOf(spec, req)) : undefined;
          const reply = await spec.handler({
            req,
            res,
            params,
            query,
            body,
            principal: res.locals['principal'] as Principal,
          });
          if (!reply || res.headersSent) return;
          for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
          if (reply.body === undefined) res.status(reply.status).end();
          else res.status(reply.status).json(reply.body);
        } catch (err) {
          next(httpError(err));
        }
      },
    ];
    router[spec.method](spec.path, ...handlers);
  }
}

/** A malformed id names no resource: 404, like a missing or foreign one. */
function parseParams(spec: RouteSpec, req: Request): unknown {
  const result = spec.params!.safeParse(req.params);
  if (!result.success) throw notFound('No such resource');
  return result.data;
}

function bodyOf(spec: RouteSpec, req: Request): unknown {
  if (req.body === undefined) return spec.bodyOptional ? {} : undefined;
  return req.body;
}
