import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { createHttpApp } from '@portico/core';
import type { Express, Router } from 'express';
import type Provider from 'oidc-provider';
import {
  forceIssuerOrigin,
  noStore,
  oauthForm,
  postCredentialsToBasic,
  tokenRateLimit,
} from './oidc/oauthMiddleware.ts';
import { pageAssetsRouter } from './oidc/page-assets.ts';

export interface KeyManagerServices {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
  provider: Provider;
  issuer: string;
  interactions: Router;
  admin: Router;
  bodyLimitBytes: number;
  rateLimits: { perIp: number; perClient: number };
}

/**
 * The public app: OAuth/OIDC endpoints (oidc-provider), login/consent pages. Does not listen.
 * Order: issuer origin forced → OAuth bodies parsed (size-limited) → token endpoint rate limit →
 * interaction pages → oidc-provider.
 */
export function createApp(services: KeyManagerServices): Express {
  const issuerPath = new URL(services.issuer).pathname.replace(/\/$/, '');
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
      exposeMetrics: false,
    },
    (app) => {
      const base = issuerPath || '/';
      app.use(base, forceIssuerOrigin(services.issuer));
      const oauthPaths = ['/token', '/token/introspection', '/token/revocation'].map(
        (p) => `${issuerPath}${p}`,
      );
      app.use(
        oauthPaths,
        noStore(),
        ...oauthForm(Math.min(services.bodyLimitBytes, 56 * 1024)),
        postCredentialsToBasic(),
      );
      app.post(`${issuerPath}/token`, tokenRateLimit(services.rateLimits));
      app.use(base, pageAssetsRouter());
      app.use(base, services.interactions);
      app.use(base, services.provider.callback());
    },
  );
}

/** The admin app, on its own port; only the store (service credential) calls it. Metrics live here. */
export function createAdminApp(services: KeyManagerServices): Express {
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
    },
    (app) => {
      app.use(services.admin);
    },
  );
}
