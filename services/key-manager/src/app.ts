import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { createHttpApp } from '@portico/core';
import type { Express } from 'express';

export interface KeyManagerServices {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
}

/** The public app (OAuth/OIDC endpoints). Does not listen. */
export function createApp(services: KeyManagerServices): Express {
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
    },
    () => {},
  );
}

/** The admin app, on its own port; only the store (service credential) calls it. */
export function createAdminApp(services: KeyManagerServices): Express {
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
    },
    () => {},
  );
}
