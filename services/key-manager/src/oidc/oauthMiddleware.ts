/**
 * Express middleware in front of oidc-provider, one rule each:
 * - `forceIssuerOrigin`: the host and scheme oidc-provider sees come from ISSUER, never from the
 *   caller's Host or X-Forwarded-* headers (discovery and redirects cannot be spoofed).
 * - `oauthForm`: the token, introspection and revocation bodies are parsed here with a size
 *   limit; malformed or oversized bodies answer RFC 6749 errors (4xx), never 500.
 * - `postCredentialsToBasic`: client_secret_post credentials are moved to the Authorization
 *   header, so a client may use either method (oidc-provider accepts one per client).
 * - `tokenRateLimit`: per-IP and per-(client, IP) fixed windows on the token endpoint (429); per
 *   client alone would let a stranger use up a client's budget from anywhere.
 * - `noStore`: token, introspection and revocation answers are never cached.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).setHeader('cache-control', 'no-store');
  res.json({ error, error_description: description });
}

export function forceIssuerOrigin(issuer: string): RequestHandler {
  const url = new URL(issuer);
  const proto = url.protocol.replace(':', '');
  return (req, _res, next) => {
    for (const h of [
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-forwarded-for',
      'x-forwarded-port',
      'forwarded',
    ]) {
      delete req.headers[h];
    }
    req.headers.host = url.host;
    req.headers['x-forwarded-host'] = url.host;
    req.headers['x-forwarded-proto'] = proto;
    next();
  };
}

export function oauthForm(limitBytes: number): RequestHandler[] {
  const parse = express.urlencoded({ extended: false, limit: limitBytes, parameterLimit: 50 });
  return [
    (req, res, next) => {
      if (req.method !== 'POST') return next();
      if (!req.is('application/x-www-form-urlencoded')) {
        return oauthError(
          res,
          400,
          'invalid_request',
          'only application/x-www-form-urlencoded bodies are accepted',
        );
      }
      parse(req, res, next);
    },
    (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = err as { type?: string; status?: number } | undefined;
      if (!e || typeof e.status !== 'number') return next(err);
      if (e.type === 'entity.too.large')
        return oauthError(res, 413, 'invalid_request', 'request body too large');
      return oauthError(res, 400, 'invalid_request', 'malformed request body');
    },
  ] as RequestHandler[];
}

export function postCredentialsToBasic(): RequestHandler {
  return (req, _res, next) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (
      body &&
      !req.headers.authorization &&
      typeof body['client_id'] === 'string' &&
      typeof body['client_secret'] === 'string'
    ) {
      const id = encodeURIComponent(body['client_id']);
      const secret = encodeURIComponent(body['client_secret']);
      req.headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
      delete body['client_secret'];
      delete body['client_id'];
    }
    next();
  };
}

export function noStore(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('pragma', 'no-cache');
    next();
  };
}

/** The client id a token request claims (Basic header or body); only for rate limiting. */
function claimedClientId(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, i)).slice(0, 256);
      } catch {
        return undefined;
      }
    }
  }
  const id = (req.body as Record<string, unknown> | undefined)?.['client_id'];
  return typeof id === 'string' ? id.slice(0, 256) : undefined;
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(limit: number, windowMs = 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Seconds until the window resets when over the limit, else 0. */
  hit(key: string, now = Date.now()): number {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size > 100_000) this.sweep(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count > this.limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

export function tokenRateLimit(options: { perIp: number; perClient: number }): RequestHandler {
  const byIp = new FixedWindowLimiter(options.perIp);
  const byClient = new FixedWindowLimiter(options.perClient);
  return (req, res, next) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const client = claimedClientId(req);
    const wait = Math.max(byIp.hit(`ip:${ip}`), client ? byClient.hit(`client:${client}|${ip}`) : 0);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return oauthError(res, 429, 'temporarily_unavailable', 'too many token requests, retry later');
    }
    next();
  };
}
