import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { createHttpApp } from '@portico/core';
import type { Express } from 'express';

export interface GatewayServices {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  isDraining?: () => boolean;
}

/** The gateway's public app. Does not listen. */
export function createApp(services: GatewayServices): Express {
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
