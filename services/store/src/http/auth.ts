/**
 * Authentication and CSRF, in this order:
 *   1. `Authorization: Bearer` → the key-manager says who it is (introspection); a bad token is
 *      401 with WWW-Authenticate, an unreachable key-manager 503 (never "anonymous");
 *   2. otherwise the session cookie → the session in MongoDB (expired = absent);
 *   3. cookie-authenticated unsafe methods must echo the session's CSRF token in
 *      `x-csrf-token` (bearer calls carry no ambient credential, so they need none);
 *   4. admin routes need the admin role (403 otherwise).
 * The gateway's read model has its own static bearer token, compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, forbidden, unauthorized, unavailable } from '@portico/core';
import type { Request, RequestHandler } from 'express';
import type { Principal } from '../domain/principal.ts';
import { isAdmin } from '../domain/principal.ts';
import type { IdentityProvider } from '../identity/port.ts';
import { IdentityUnavailableError } from '../identity/port.ts';
import type { SessionStore } from '../identity/sessions.ts';
import type { Access, Method } from './route.ts';

export interface AuthOptions {
  identity: IdentityProvider;
  sessions: SessionStore;
  cookieName: string;
  readModelToken: string;
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,256}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

function invalidToken(message: string): AppError {
  return new AppError(message, {
    status: 401,
    code: 'invalid_token',
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Resolves the principal (or fails); sets res.locals.principal. */
export function authenticate(options: AuthOptions): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals['principal'] = await resolvePrincipal(options, req);
      next();
    } catch (err) {
      next(err);
    }
  };
}

async function resolvePrincipal(options: AuthOptions, req: Request): Promise<Principal> {
  const authorization = req.get('authorization');
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match || match[1]!.length > 8192) throw invalidToken('Malformed Authorization header');
    try {
      const identity = await options.identity.verifyBearer(match[1]!);
      if (!identity) throw invalidToken('The access token is not valid for this API');
      return { subject: identity.subject, roles: identity.roles, via: 'bearer' };
    } catch (err) {
      if (err instanceof IdentityUnavailableError) {
        throw unavailable('Cannot verify the access token right now', 5, err);
      }
      throw err;
    }
  }
  const sid = readCookie(req, options.cookieName);
  if (sid) {
    const session = await options.sessions.get(sid);
    if (session) {
      return {
        subject: session.subject,
        roles: session.roles as Principal['roles'],
        via: 'session',
        csrfToken: session.csrfToken,
      };
    }
  }
  throw unauthorized('Sign in or send a bearer token', 'unauthorized');
}

const SAFE: Method[] = ['get'];

export function csrfCheck(method: Method): RequestHandler {
  return (req, res, next) => {
    const p = res.locals['principal'] as Principal | undefined;
    if (p?.via !== 'session' || SAFE.includes(method)) return next();
    const sent = req.get('x-csrf-token');
    if (!sent || !p.csrfToken || !safeEqual(sent, p.csrfToken)) {
      return next(forbidden('Missing or wrong x-csrf-token header', 'csrf_failed'));
    }
    next();
  };
}

export function requireAdmin(): RequestHandler {
  return (_req, res, next) => {
    const p = res.locals['principal'] as Principal;
    next(isAdmin(p) ? undefined : forbidden('Requires the admin role', 'admin_required'));
  };
}

export function gatewayToken(token: string): RequestHandler {
  return (req, _res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match || !safeEqual(match[1]!, token))
      return next(invalidToken('A valid read-model token is required'));
    next();
  };
}

export function guards(options: AuthOptions): (access: Access, method: Method) => RequestHandler[] {
  const auth = authenticate(options);
  return (access, method) => {
    switch (access) {
      case 'public':
        return [];
      case 'gateway':
        return [gatewayToken(options.readModelToken)];
      case 'user':
        return [auth, csrfCheck(method)];
      case 'admin':
        return [auth, csrfCheck(method), requireAdmin()];
    }
  };
}
