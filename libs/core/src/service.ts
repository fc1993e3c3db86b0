/**
 * The shared shape of a service's composition root: load and validate config (exit 2 with a
 * message naming the variable), build the logger, metrics and lifecycle, run the service's
 * `start`, trap SIGTERM/SIGINT for a graceful drain, and exit non-zero on a fatal error.
 */
import type { z } from 'zod';
import { ConfigError, loadConfig, redactConfig } from './config.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { createLogger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { createMetrics } from './metrics.ts';

export interface ServiceContext<C> {
  config: C;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

interface BaseConfig {
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
}

export async function runService<S extends z.ZodObject>(
  name: string,
  schema: S,
  start: (ctx: ServiceContext<z.infer<S>>) => Promise<void>,
): Promise<void> {
  let config: z.infer<S> & BaseConfig;
  try {
    config = loadConfig(schema) as z.infer<S> & BaseConfig;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  const metrics = createMetrics(name);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.trapSignals();
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled promise rejection');
  });
  logger.info({ config: redactConfig(config as Record<string, unknown>, schema) }, 'starting');
  try {
    await start({ config, logger, metrics, lifecycle });
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await lifecycle.stop().catch(() => undefined);
    process.exit(1);
  }
}
