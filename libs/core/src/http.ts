/**
 * The HTTP skeleton every service shares. In order:
 *   1. request id (kept from `x-request-id` when well-formed, otherwise generated) and echoed;
 *   2. access log + latency histogram (path without query string: queries may carry tokens);
 *   3. /healthz (live), /readyz (dependency checks and not draining), /metrics;
 *   4. the service's own routes (`mount`);
 *   5. 404 in the common error shape;
 *   6. the one error renderer: { error: { code, message, requestId, details? } }.
 * `createHttpApp` never listens, so tests and the real process run the same app.
 */
import { randomUUID } from 'node:crypto';
import type {
  ErrorRequestHandler,
  Express as ExpressApp,
  NextFunction,
  Request,
  RequestHandler,
  Response,
} from 'express';
import express from 'express';
import { ZodError } from 'zod';
import { AppError, isAppError, notFound } from './errors.ts';
import type { HealthCheck } from './health.ts';
import { runChecks } from './health.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

declare global {
  namespace Express {
    interface Request {
      id: string;
    }
  }
}

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: HealthCheck[];
  /** True once shutdown has begun: /readyz answers 503 so the load balancer stops sending. */
  isDraining?: () => boolean;
  /** Serve /metrics on this app (false when metrics go to a separate admin port). */
  exposeMetrics?: boolean;
  trustProxy?: boolean | number | string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    next();
  };
}

export function accessLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeLabel(req);
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (route === '/healthz' || route === '/readyz' || route === '/metrics') return;
      logger.info(
        {
          requestId: req.id,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(seconds * 1e6) / 1e3,
        },
        'request',
      );
    });
    next();
  };
}

function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  if (req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics') return req.path;
  return 'unmatched';
}

export function createHttpApp(options: HttpAppOptions, mount: (app: ExpressApp) => void): ExpressApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(requestId());
  app.use(accessLog(options.logger, options.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await runChecks(options.readiness);
    if (options.isDraining?.()) {
      report.ready = false;
      report.checks['shutdown'] = 'draining';
    }
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });
  if (options.exposeMetrics !== false) app.get('/metrics', metricsHandler(options.metrics));

  mount(app);

  app.use((_req: Request, _res: Response, next: NextFunction) => next(notFound('No such resource')));
  app.use(errorHandler(options.logger));
  return app;
}

export function metricsHandler(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}

/** JSON body parsing with a size limit; parse failures become 400/413 in the common shape. */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, strict: true, type: ['application/json', 'application/*+json'] });
}

export function urlencodedBody(limitBytes: number): RequestHandler {
  return express.urlencoded({ limit: limitBytes, extended: false, parameterLimit: 100 });
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Turns anything thrown into an AppError. Exported for routers that render errors differently. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof ZodError) {
    return new AppError('Request validation failed', {
      status: 400,
      code: 'validation_failed',
      details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const bp = err as BodyParserError | null;
  // express's router: a path parameter that is not valid percent-encoding (`%E0%A4%A`).
  if (err instanceof URIError && bp?.status === 400) {
    return new AppError('A path segment is not valid percent-encoding', {
      status: 400,
      code: 'bad_request',
      cause: err,
    });
  }
  // body-parser passes decompression failures (a `Content-Encoding: gzip` body that is not
  // gzip) as the zlib error with a 400 status and no type.
  if (bp && typeof bp === 'object' && bp.type === undefined && bp.status === 400) {
    return new AppError('The body could not be decoded as its Content-Encoding says', {
      status: 400,
      code: 'invalid_body',
      cause: err,
    });
  }
  if (bp && typeof bp === 'object' && typeof bp.type === 'string' && typeof bp.status === 'number') {
    if (bp.type === 'entity.too.large') {
      return new AppError('Request body too large', { status: 413, code: 'payload_too_large', cause: err });
    }
    if (bp.type === 'entity.parse.failed') {
      return new AppError('Request body is not valid JSON', {
        status: 400,
        code: 'invalid_json',
        cause: err,
      });
    }
    if (bp.status >= 400 && bp.status < 500) {
      return new AppError('Malformed request body', { status: bp.status, code: 'invalid_body', cause: err });
    }
  }
  return new AppError('Internal server error', {
    status: 500,
    code: 'internal_error',
    cause: err,
    expose: false,
  });
}

export function errorBody(err: AppError, requestIdValue: string | undefined): Record<string, unknown> {
  const error: Record<string, unknown> = {
    code: err.code,
    message: err.expose ? err.message : 'Internal server error',
    requestId: requestIdValue,
  };
  if (err.expose && err.details !== undefined) error['details'] = err.details;
  return { error };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (raw, req, res, _next) => {
    const err = toAppError(raw);
    if (err.status >= 500) {
      logger.error({ requestId: req.id, err: err.cause ?? err, code: err.code }, 'request failed');
    } else {
      logger.debug({ requestId: req.id, code: err.code, status: err.status }, 'request rejected');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    res.status(err.status).json(errorBody(err, req.id));
  };
}
