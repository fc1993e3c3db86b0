/**
 * The gateway's two HTTP surfaces (neither listens here):
 * - the public app: every request runs the plugin chain (route -> authenticate -> access ->
 *   rate limit -> outbound -> proxy, CORS after route); /healthz and /readyz stay for probes, /metrics does not;
 * - the admin app (ADMIN_PORT, not exposed through the ingress): /healthz, /readyz, /metrics and
 *   the JWKS upstreams use to verify the backend JWT (/.well-known/jwks.json).
 */
import type { HealthCheck, Logger, Metrics } from '@portico/core';
import { createHttpApp } from '@portico/core';
import type { Express, NextFunction, Request, Response } from 'express';
import type { UsageHook } from './analytics/hook.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayContext, GatewayPlugin } from './pipeline/plugin.ts';
import type { BackendJwtSigner } from './proxy/backend-jwt.ts';

export interface GatewayServices {
  logger: Logger;
  metrics: Metrics;
  gatewayMetrics: GatewayMetrics;
  readiness: HealthCheck[];
  plugins: GatewayPlugin[];
  signer: BackendJwtSigner;
  isDraining?: () => boolean;
  /** Usage counting (absent when ANALYTICS_ENABLED=false). */
  usage?: UsageHook;
}

/** The gateway's public app. Does not listen. */
export function createApp(services: GatewayServices): Express {
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
      exposeMetrics: false,
    },
    (app) => {
      app.use(runPlugins(services.plugins, services.gatewayMetrics, services.usage));
    },
  );
}

/** The admin app: probes, metrics and the backend-JWT JWKS. Does not listen. */
export function createAdminApp(services: GatewayServices): Express {
  return createHttpApp(
    {
      logger: services.logger,
      metrics: services.metrics,
      readiness: services.readiness,
      isDraining: services.isDraining,
    },
    (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.setHeader('cache-control', 'public, max-age=300');
        res.json(services.signer.jwks());
      });
    },
  );
}

function runPlugins(plugins: GatewayPlugin[], metrics: GatewayMetrics, usage?: UsageHook) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const ctx: GatewayContext = { req, res, upstreamHeaders: {} };
    res.on('finish', () => {
      const api = ctx.api?.apiId ?? 'unmatched';
      const total = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ api, status: String(res.statusCode) });
      metrics.gatewayLatency.observe({ api }, Math.max(0, total - (ctx.upstreamSeconds ?? 0)));
      if (ctx.upstreamSeconds !== undefined) metrics.upstreamLatency.observe({ api }, ctx.upstreamSeconds);
      usage?.(ctx, res.statusCode, total);
    });
    runFrom(plugins, 0, ctx, next);
  };
}

/**
 * Runs the chain from plugin `i`. Synchronous handlers run back to back; the chain only waits
 * (one promise hop) where a handler returns a promise, e.g. on a token cache miss.
 */
function runFrom(plugins: GatewayPlugin[], i: number, ctx: GatewayContext, next: NextFunction): void {
  try {
    for (; i < plugins.length; i += 1) {
      const pending = plugins[i]?.handle(ctx);
      if (pending instanceof Promise) {
        const after = i + 1;
        pending.then(() => {
          if (!ctx.done) runFrom(plugins, after, ctx, next);
        }, next);
        return;
      }
      if (ctx.done) return;
    }
  } catch (err) {
    next(err);
  }
}
