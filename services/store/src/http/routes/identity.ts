/** Sign-in at the key-manager (OIDC authorization code + PKCE), sign-out and "who am I". */
import { badRequest, unavailable } from '@portico/core';
import type { Response } from 'express';
import { z } from 'zod';
import type { IdentityProvider } from '../../identity/port.ts';
import { IdentityUnavailableError, LoginFailedError } from '../../identity/port.ts';
import type { SessionStore } from '../../identity/sessions.ts';
import { readCookie, safeEqual } from '../auth.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API } from '../schemas.ts';

export const me = z
  .object({
    subject: z.string(),
    roles: z.array(z.enum(['developer', 'admin'])),
    authenticatedBy: z.enum(['session', 'bearer']),
    csrfToken: z.string().optional(),
  })
  .meta({ id: 'Me' });
export const loginQuery = z.strictObject({ returnTo: z.string().max(512).optional() });
export const callbackQuery = z.object({
  state: z.string().max(512).optional(),
  code: z.string().max(4096).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
  iss: z.string().max(1024).optional(),
});

export interface IdentityRouteDeps {
  identity: IdentityProvider;
  sessions: SessionStore;
  publicUrl: string;
  cookie: { name: string; secure: boolean; ttlSeconds: number };
}

const LOGIN_COOKIE = 'portico_login';

export function identityRoutes(d: IdentityRouteDeps): RouteSpec[] {
  const secure = d.cookie.secure;
  const setCookie = (res: Response, name: string, value: string, maxAgeMs: number, path = '/') =>
    res.cookie(name, value, { httpOnly: true, sameSite: 'lax', secure, path, maxAge: maxAgeMs });

  return [
    route({
      method: 'get',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Start sign-in at the key-manager (OIDC authorization code + PKCE)',
      tag: 'identity',
      access: 'public',
      query: loginQuery,
      responses: { 302: { description: 'Redirect to the key-manager' } },
      handler: async ({ query, res }) => {
        const returnTo = safeReturnTo(query.returnTo);
        const redirectUri = new URL('/auth/callback', d.publicUrl).href;
        const start = await d.identity.beginLogin(redirectUri).catch(identityError);
        await d.sessions.putLogin(start.state, {
          codeVerifier: start.codeVerifier,
          nonce: start.nonce,
          returnTo,
        });
        // Binds the sign-in to this browser (login CSRF): the callback must come back to it.
        setCookie(res, LOGIN_COOKIE, start.state, 600_000, '/auth');
        return { status: 302, headers: { location: start.url, 'cache-control': 'no-store' } };
      },
    }),
    route({
      method: 'get',
      path: '/auth/callback',
      operationId: 'loginCallback',
      summary: 'OIDC redirect URI: finishes sign-in and sets the session cookie',
      tag: 'identity',
      access: 'public',
      query: callbackQuery,
      responses: { 302: { description: 'Signed in; redirect to where sign-in started' } },
      handler: async ({ query, req, res }) => {
        if (query.error) throw badRequest(`Sign-in failed: ${query.error}`, undefined, 'login_failed');
        const bound = readCookie(req, LOGIN_COOKIE);
        if (!query.state || !query.code || !bound || !safeEqual(bound, query.state)) {
          throw badRequest(
            'Sign-in state does not match this browser; start again',
            undefined,
            'login_failed',
          );
        }
        const pending = await d.sessions.takeLogin(query.state);
        if (!pending)
          throw badRequest('Sign-in expired or already used; start again', undefined, 'login_failed');
        const redirectUri = new URL('/auth/callback', d.publicUrl).href;
        const identity = await d.identity
          .completeLogin(new URL(req.originalUrl, d.publicUrl), {
            state: query.state,
            ...pending,
            redirectUri,
          })
          .catch(identityError);
        const { sessionId } = await d.sessions.create(identity);
        res.clearCookie(LOGIN_COOKIE, { path: '/auth', httpOnly: true, sameSite: 'lax', secure });
        setCookie(res, d.cookie.name, sessionId, d.cookie.ttlSeconds * 1000);
        return { status: 302, headers: { location: pending.returnTo, 'cache-control': 'no-store' } };
      },
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'End the session',
      tag: 'identity',
      access: 'user',
      responses: { 204: { description: 'Signed out' } },
      handler: async ({ req, res, principal }) => {
        const sid = readCookie(req, d.cookie.name);
        if (principal.via === 'session' && sid) await d.sessions.delete(sid);
        res.clearCookie(d.cookie.name, { path: '/', httpOnly: true, sameSite: 'lax', secure });
        return { status: 204 };
      },
    }),
    route({
      method: 'get',
      path: `${API}/me`,
      operationId: 'getMe',
      summary: 'Who am I (and the CSRF token for cookie-authenticated writes)',
      tag: 'identity',
      access: 'user',
      responses: { 200: { description: 'The caller', schema: me } },
      handler: ({ principal }) => ({
        status: 200,
        body: {
          subject: principal.subject,
          roles: principal.roles,
          authenticatedBy: principal.via,
          ...(principal.csrfToken ? { csrfToken: principal.csrfToken } : {}),
        },
      }),
    }),
  ];
}

/** Only same-origin paths: never an open redirect. */
export function safeReturnTo(value: string | undefined): string {
  // Printable ASCII only: browsers drop tabs and newlines (`/\t/evil` becomes `//evil`, another
  // origin), and a non-ASCII Location header cannot be sent at all.
  const ok = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(value ?? '');
  return ok ? (value as string) : '/';
}

function identityError(err: unknown): never {
  if (err instanceof IdentityUnavailableError)
    throw unavailable('The key-manager is unavailable, try again later', 5, err);
  if (err instanceof LoginFailedError) throw badRequest(err.message, undefined, 'login_failed');
  throw err;
}
