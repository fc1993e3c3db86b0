import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { AppError, createHttpApp, jsonBody } from '@portico/core';
import type { ReadModelSnapshot } from '@portico/events';
import type { Express, RequestHandler } from 'express';
import express from 'express';
import type { ApplicationService } from './domain/applications.ts';
import type { CatalogService } from './domain/catalog.ts';
import { parseYaml } from './domain/catalog-file.ts';
import type { KeyService } from './domain/keys.ts';
import { guards } from './http/auth.ts';
import { buildOpenApi } from './http/openapi.ts';
import type { RouteSpec } from './http/route.ts';
import { register } from './http/route.ts';
import { storeRoutes } from './http/routes.ts';
import type { IdentityProvider } from './identity/port.ts';
import type { SessionStore } from './identity/sessions.ts';
import type { PortalStaticOptions } from './portal-static.ts';
import { portalStatic } from './portal-static.ts';

export interface StoreServices {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
  catalog: CatalogService;
  applications: ApplicationService;
  keys: KeyService;
  identity: IdentityProvider;
  sessions: SessionStore;
  readModel: () => Promise<ReadModelSnapshot>;
  reloadCatalog?: () => ReturnType<CatalogService['applyCatalog']>;
  /** The developer portal's static files (portal-static.ts); absent = API only. */
  portal?: PortalStaticOptions;
  settings: {
    publicUrl: string;
    bodyLimitBytes: number;
    readModelToken: string;
    sessionTtlSeconds: number;
    cookieSecure: boolean;
  };
}

export interface StoreApp {
  app: Express;
  routes: RouteSpec[];
  openApi: Record<string, unknown>;
}

/** The store's app: REST API (the portal UI comes later). Does not listen. */
export function createStoreApp(services: StoreServices): StoreApp {
  const { settings } = services;
  const cookieName = settings.cookieSecure ? '__Host-portico_session' : 'portico_session';
  let openApi: Record<string, unknown> = {};
  const routes = storeRoutes({
    catalog: services.catalog,
    applications: services.applications,
    keys: services.keys,
    identity: services.identity,
    sessions: services.sessions,
    readModel: services.readModel,
    reloadCatalog: services.reloadCatalog,
    openApi: () => openApi,
    publicUrl: settings.publicUrl,
    cookie: { name: cookieName, secure: settings.cookieSecure, ttlSeconds: settings.sessionTtlSeconds },
  });
  openApi = buildOpenApi(routes, { version: '1.0.0', serverUrl: settings.publicUrl });

  const app = createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
      exposeMetrics: false,
    },
    (root) => {
      const router = express.Router({ strict: false, caseSensitive: true });
      register(router, routes, {
        guard: guards({
          identity: services.identity,
          sessions: services.sessions,
          cookieName,
          readModelToken: settings.readModelToken,
        }),
        bodyParsers: bodyParsers(settings.bodyLimitBytes),
      });
      root.use(noStoreOnApi());
      root.use(router);
      if (services.portal) root.use(portalStatic(services.portal));
    },
  );
  return { app, routes, openApi };
}

export function createApp(services: StoreServices): Express {
  return createStoreApp(services).app;
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/**
 * A body must be JSON (or YAML where a route says so): anything else with a body is 415.
 * Size limits apply before parsing (413); parse failures are 400 (libs/core renders them).
 */
function bodyParsers(limit: number): RequestHandler[] {
  const yamlText = express.text({ type: YAML_TYPES, limit });
  return [
    (req, _res, next) => {
      const hasBody =
        req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
      if (!hasBody) return next();
      if (req.is([...JSON_TYPES, ...YAML_TYPES])) return next();
      next(
        new AppError('Send the body as application/json', { status: 415, code: 'unsupported_media_type' }),
      );
    },
    jsonBody(limit),
    (req, res, next) => {
      if (!req.is(YAML_TYPES)) return next();
      if (!req.path.endsWith('/admin/catalog')) {
        return next(
          new AppError('Send the body as application/json', { status: 415, code: 'unsupported_media_type' }),
        );
      }
      yamlText(req, res, (err?: unknown) => {
        if (err) return next(err);
        try {
          if (typeof req.body === 'string') req.body = parseYaml(req.body, 'request body');
          next();
        } catch (e) {
          next(e);
        }
      });
    },
  ];
}

function noStoreOnApi(): RequestHandler {
  return (req, res, next) => {
    if (req.path.startsWith('/api/') || req.path.startsWith('/auth/'))
      res.setHeader('cache-control', 'no-store');
    next();
  };
}
