import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { createHttpApp } from '@portico/core';
import type { Express } from 'express';

export interface StoreServices {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
}

/** The store's app: REST API and portal. Does not listen. */
export function createApp(services: StoreServices): Express {
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
