/** Every route of the store's HTTP API, declared once (see route.ts). */
import { AppError, badRequest, unavailable } from '@portico/core';
import type { ReadModelSnapshot } from '@portico/events';
import type { Response } from 'express';
import { z } from 'zod';
import type { ApplicationService } from '../domain/applications.ts';
import type { CatalogDocument, CatalogService } from '../domain/catalog.ts';
import type { KeyService } from '../domain/keys.ts';
import type { IdentityProvider } from '../identity/port.ts';
import { IdentityUnavailableError, LoginFailedError } from '../identity/port.ts';
import type { SessionStore } from '../identity/sessions.ts';
import { readCookie, safeEqual } from './auth.ts';
import { presentApi, presentApplication, presentKey, presentSubscription, presentTier } from './present.ts';
import type { RouteSpec } from './route.ts';
import { route } from './route.ts';
import * as s from './schemas.ts';

export interface RouteDeps {
  catalog: CatalogService;
  applications: ApplicationService;
  keys: KeyService;
  identity: IdentityProvider;
  sessions: SessionStore;
  readModel: () => Promise<ReadModelSnapshot>;
  /** Re-reads CATALOG_FILE and applies it; undefined when no file is configured. */
  reloadCatalog?: () => Promise<Awaited<ReturnType<CatalogService['applyCatalog']>>>;
  openApi: () => Record<string, unknown>;
  publicUrl: string;
  cookie: { name: string; secure: boolean; ttlSeconds: number };
}

const LOGIN_COOKIE = 'portico_login';
const API = '/api/v1';

const p = {
  api: z.object({ apiId: s.apiId }),
  tier: z.object({ tierName: s.tierName }),
  app: z.object({ applicationId: s.applicationId }),
  sub: z.object({ subscriptionId: s.subscriptionId }),
  key: z.object({ applicationId: s.applicationId, keyType: s.keyType }),
};

export function storeRoutes(d: RouteDeps): RouteSpec[] {
  const secure = d.cookie.secure;
  const setCookie = (res: Response, name: string, value: string, maxAgeMs: number, path = '/') =>
    res.cookie(name, value, { httpOnly: true, sameSite: 'lax', secure, path, maxAge: maxAgeMs });

  return [
    // ------------------------------------------------------------------ documentation & identity
    route({
      method: 'get',
      path: `${API}/openapi.json`,
      operationId: 'getOpenApi',
      summary: 'This OpenAPI document',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'OpenAPI 3.1 document' } },
      handler: () => ({ status: 200, body: d.openApi() }),
    }),
    route({
      method: 'get',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Start sign-in at the key-manager (OIDC authorization code + PKCE)',
      tag: 'identity',
      access: 'public',
      query: s.loginQuery,
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
      query: s.callbackQuery,
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
      responses: { 200: { description: 'The caller', schema: s.me } },
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

    // ------------------------------------------------------------------ APIs
    route({
      method: 'get',
      path: `${API}/apis`,
      operationId: 'listApis',
      summary: 'List APIs (developers: published public APIs)',
      tag: 'catalog',
      access: 'user',
      responses: { 200: { description: 'APIs', schema: s.apiList } },
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: (await d.catalog.listApis(principal)).map(presentApi) },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/apis`,
      operationId: 'createApi',
      summary: 'Create an API (lifecycle CREATED)',
      tag: 'catalog',
      access: 'admin',
      body: s.apiCreate,
      responses: {
        201: { description: 'Created', schema: s.api },
        409: { description: 'Context or name/version taken' },
      },
      handler: async ({ body }) => ({ status: 201, body: presentApi(await d.catalog.createApi(body)) }),
    }),
    route({
      method: 'get',
      path: `${API}/apis/:apiId`,
      operationId: 'getApi',
      summary: 'Get an API',
      tag: 'catalog',
      access: 'user',
      params: p.api,
      responses: { 200: { description: 'The API', schema: s.api } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentApi(await d.catalog.getApi(principal, params.apiId)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/apis/:apiId/definition`,
      operationId: 'getApiDefinition',
      summary: "Get the API's own OpenAPI document",
      tag: 'catalog',
      access: 'user',
      params: p.api,
      responses: { 200: { description: 'The definition as stored' } },
      handler: async ({ principal, params }) => {
        const api = await d.catalog.getApi(principal, params.apiId);
        if (!api.definition)
          throw new AppError('The API has no definition', { status: 404, code: 'not_found' });
        return { status: 200, body: JSON.parse(api.definition) };
      },
    }),
    route({
      method: 'patch',
      path: `${API}/apis/:apiId`,
      operationId: 'updateApi',
      summary: 'Update an API',
      tag: 'catalog',
      access: 'admin',
      params: p.api,
      body: s.apiUpdate,
      responses: { 200: { description: 'Updated', schema: s.api } },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentApi(await d.catalog.updateApi(params.apiId, body)),
      }),
    }),
    route({
      method: 'post',
      path: `${API}/apis/:apiId/lifecycle`,
      operationId: 'changeApiLifecycle',
      summary: 'Change the lifecycle state (CREATED, PUBLISHED, DEPRECATED, BLOCKED, RETIRED)',
      tag: 'catalog',
      access: 'admin',
      params: p.api,
      body: s.lifecycleChange,
      responses: {
        200: { description: 'Changed', schema: s.api },
        409: { description: 'Transition not allowed' },
      },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentApi(await d.catalog.changeLifecycle(params.apiId, body.state)),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/apis/:apiId`,
      operationId: 'deleteApi',
      summary: 'Delete an API without subscriptions',
      tag: 'catalog',
      access: 'admin',
      params: p.api,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'The API has subscriptions' } },
      handler: async ({ params }) => {
        await d.catalog.deleteApi(params.apiId);
        return { status: 204 };
      },
    }),

    // ------------------------------------------------------------------ tiers
    route({
      method: 'get',
      path: `${API}/tiers`,
      operationId: 'listTiers',
      summary: 'List subscription tiers',
      tag: 'catalog',
      access: 'user',
      responses: { 200: { description: 'Tiers', schema: s.tierList } },
      handler: async () => ({ status: 200, body: { items: (await d.catalog.listTiers()).map(presentTier) } }),
    }),
    route({
      method: 'get',
      path: `${API}/tiers/:tierName`,
      operationId: 'getTier',
      summary: 'Get a tier',
      tag: 'catalog',
      access: 'user',
      params: p.tier,
      responses: { 200: { description: 'The tier', schema: s.tier } },
      handler: async ({ params }) => ({
        status: 200,
        body: presentTier(await d.catalog.getTier(params.tierName)),
      }),
    }),
    route({
      method: 'put',
      path: `${API}/tiers/:tierName`,
      operationId: 'putTier',
      summary: 'Create or replace a tier',
      tag: 'catalog',
      access: 'admin',
      params: p.tier,
      body: s.tierBody,
      responses: { 200: { description: 'Saved', schema: s.tier } },
      handler: async ({ params, body }) => ({
        status: 200,
        body: presentTier((await d.catalog.putTier(params.tierName, body)).tier),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/tiers/:tierName`,
      operationId: 'deleteTier',
      summary: 'Delete a custom tier that nothing uses',
      tag: 'catalog',
      access: 'admin',
      params: p.tier,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'Built-in or in use' } },
      handler: async ({ params }) => {
        await d.catalog.deleteTier(params.tierName);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${API}/admin/catalog`,
      operationId: 'importCatalog',
      summary: 'Apply a catalog document (APIs and tiers) idempotently',
      description: 'Same format as CATALOG_FILE, as JSON or YAML (application/yaml).',
      tag: 'admin',
      access: 'admin',
      body: s.catalogDocument,
      extraMediaTypes: ['application/yaml'],
      responses: { 200: { description: 'Applied', schema: s.catalogImportResult } },
      handler: async ({ body }) => ({
        status: 200,
        body: await d.catalog.applyCatalog(body as CatalogDocument),
      }),
    }),
    route({
      method: 'post',
      path: `${API}/admin/catalog/reload`,
      operationId: 'reloadCatalogFile',
      summary: 'Re-read CATALOG_FILE and apply it idempotently',
      tag: 'admin',
      access: 'admin',
      responses: {
        200: { description: 'Applied', schema: s.catalogImportResult },
        409: { description: 'No CATALOG_FILE configured' },
      },
      handler: async () => {
        if (!d.reloadCatalog)
          throw new AppError('No CATALOG_FILE is configured', { status: 409, code: 'no_catalog_file' });
        return { status: 200, body: await d.reloadCatalog() };
      },
    }),

    // ------------------------------------------------------------------ applications
    route({
      method: 'get',
      path: `${API}/applications`,
      operationId: 'listApplications',
      summary: 'List my applications (admins: all)',
      tag: 'applications',
      access: 'user',
      responses: { 200: { description: 'Applications', schema: s.applicationList } },
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: (await d.applications.list(principal)).map(presentApplication) },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/applications`,
      operationId: 'createApplication',
      summary: 'Create an application (owner = the caller)',
      tag: 'applications',
      access: 'user',
      body: s.applicationCreate,
      responses: {
        201: { description: 'Created', schema: s.application },
        409: { description: 'Name taken' },
      },
      handler: async ({ principal, body }) => ({
        status: 201,
        body: presentApplication(await d.applications.create(principal, body)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/applications/:applicationId`,
      operationId: 'getApplication',
      summary: 'Get one of my applications',
      tag: 'applications',
      access: 'user',
      params: p.app,
      responses: { 200: { description: 'The application', schema: s.application } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentApplication(await d.applications.get(principal, params.applicationId)),
      }),
    }),
    route({
      method: 'patch',
      path: `${API}/applications/:applicationId`,
      operationId: 'updateApplication',
      summary: 'Rename, describe or change the tier of an application',
      tag: 'applications',
      access: 'user',
      params: p.app,
      body: s.applicationUpdate,
      responses: { 200: { description: 'Updated', schema: s.application } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentApplication(await d.applications.update(principal, params.applicationId, body)),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/applications/:applicationId`,
      operationId: 'deleteApplication',
      summary: 'Delete an application: its keys are deleted at the key-manager (all tokens revoked)',
      tag: 'applications',
      access: 'user',
      params: p.app,
      responses: {
        204: { description: 'Deleted' },
        503: {
          description: 'Key-manager unavailable: deletion continues in the background; retrying is safe',
        },
      },
      handler: async ({ principal, params }) => {
        await d.applications.delete(principal, params.applicationId);
        return { status: 204 };
      },
    }),

    // ------------------------------------------------------------------ keys
    route({
      method: 'get',
      path: `${API}/applications/:applicationId/keys`,
      operationId: 'listKeys',
      summary: "The application's keys (no secrets)",
      tag: 'keys',
      access: 'user',
      params: p.app,
      responses: { 200: { description: 'Keys', schema: s.keyList } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: {
          items: (await d.keys.list(principal, params.applicationId)).map(([kt, k]) => presentKey(kt, k)),
        },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/applications/:applicationId/keys/:keyType`,
      operationId: 'generateKeys',
      summary: 'Generate PRODUCTION or SANDBOX keys (the consumer secret is shown once)',
      tag: 'keys',
      access: 'user',
      params: p.key,
      body: s.keyGenerate,
      bodyOptional: true,
      responses: {
        201: { description: 'Generated', schema: s.generatedKey },
        409: { description: 'Keys exist' },
      },
      handler: async ({ principal, params, body }) => {
        const { key, consumerSecret } = await d.keys.generate(
          principal,
          params.applicationId,
          params.keyType,
          body,
        );
        return {
          status: 201,
          body: { ...presentKey(params.keyType, key), consumerSecret },
          headers: { 'cache-control': 'no-store' },
        };
      },
    }),
    route({
      method: 'get',
      path: `${API}/applications/:applicationId/keys/:keyType`,
      operationId: 'getKeys',
      summary: 'Get a key (no secret)',
      tag: 'keys',
      access: 'user',
      params: p.key,
      responses: { 200: { description: 'The key', schema: s.keySummary } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentKey(params.keyType, await d.keys.get(principal, params.applicationId, params.keyType)),
      }),
    }),
    route({
      method: 'patch',
      path: `${API}/applications/:applicationId/keys/:keyType`,
      operationId: 'updateKeys',
      summary: 'Change allowed domains, token validity, token format, grant types or callback URLs',
      tag: 'keys',
      access: 'user',
      params: p.key,
      body: s.keyUpdate,
      responses: { 200: { description: 'Updated', schema: s.keySummary } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentKey(
          params.keyType,
          await d.keys.update(principal, params.applicationId, params.keyType, body),
        ),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/applications/:applicationId/keys/:keyType`,
      operationId: 'revokeKeys',
      summary: 'Revoke the keys: the client is deleted at the key-manager and its tokens revoked',
      tag: 'keys',
      access: 'user',
      params: p.key,
      responses: { 204: { description: 'Revoked' } },
      handler: async ({ principal, params }) => {
        await d.keys.revoke(principal, params.applicationId, params.keyType);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${API}/applications/:applicationId/keys/:keyType/token`,
      operationId: 'generateToken',
      summary: 'Generate (or regenerate) the application access token; earlier ones are revoked',
      tag: 'keys',
      access: 'user',
      params: p.key,
      body: s.tokenRequest,
      bodyOptional: true,
      responses: { 200: { description: 'The token (shown once)', schema: s.tokenResponse } },
      handler: async ({ principal, params, body }) => {
        const t = await d.keys.token(principal, params.applicationId, params.keyType, body);
        return {
          status: 200,
          body: {
            accessToken: t.access_token,
            tokenType: t.token_type,
            expiresIn: t.expires_in ?? null,
            scope: t.scope ?? '',
          },
          headers: { 'cache-control': 'no-store' },
        };
      },
    }),
    route({
      method: 'post',
      path: `${API}/applications/:applicationId/keys/:keyType/secret`,
      operationId: 'regenerateSecret',
      summary: 'Regenerate the consumer secret (the old one stops working, tokens are revoked)',
      tag: 'keys',
      access: 'user',
      params: p.key,
      responses: { 200: { description: 'The new secret (shown once)', schema: s.secretResponse } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: {
          consumerSecret: await d.keys.regenerateSecret(principal, params.applicationId, params.keyType),
        },
        headers: { 'cache-control': 'no-store' },
      }),
    }),

    // ------------------------------------------------------------------ subscriptions
    route({
      method: 'get',
      path: `${API}/subscriptions`,
      operationId: 'listSubscriptions',
      summary: 'List my subscriptions (optionally of one application)',
      tag: 'subscriptions',
      access: 'user',
      query: s.subscriptionQuery,
      responses: { 200: { description: 'Subscriptions', schema: s.subscriptionList } },
      handler: async ({ principal, query }) => ({
        status: 200,
        body: {
          items: (await d.applications.listSubscriptions(principal, query.applicationId)).map(
            presentSubscription,
          ),
        },
      }),
    }),
    route({
      method: 'post',
      path: `${API}/subscriptions`,
      operationId: 'subscribe',
      summary: 'Subscribe an application to a PUBLISHED API with a tier',
      tag: 'subscriptions',
      access: 'user',
      body: s.subscriptionCreate,
      responses: {
        201: { description: 'Subscribed', schema: s.subscription },
        404: { description: 'Application or API not found (or not yours)' },
        409: { description: 'Already subscribed, or the API is not PUBLISHED' },
      },
      handler: async ({ principal, body }) => ({
        status: 201,
        body: presentSubscription(await d.applications.subscribe(principal, body)),
      }),
    }),
    route({
      method: 'get',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'getSubscription',
      summary: 'Get a subscription',
      tag: 'subscriptions',
      access: 'user',
      params: p.sub,
      responses: { 200: { description: 'The subscription', schema: s.subscription } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentSubscription(await d.applications.getSubscription(principal, params.subscriptionId)),
      }),
    }),
    route({
      method: 'patch',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'updateSubscription',
      summary: 'Change the tier (admins: also block/unblock)',
      tag: 'subscriptions',
      access: 'user',
      params: p.sub,
      body: s.subscriptionUpdate,
      responses: { 200: { description: 'Updated', schema: s.subscription } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentSubscription(
          await d.applications.updateSubscription(principal, params.subscriptionId, body),
        ),
      }),
    }),
    route({
      method: 'delete',
      path: `${API}/subscriptions/:subscriptionId`,
      operationId: 'unsubscribe',
      summary: 'Remove a subscription (gateways refuse the application on that API at once)',
      tag: 'subscriptions',
      access: 'user',
      params: p.sub,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ principal, params }) => {
        await d.applications.unsubscribe(principal, params.subscriptionId);
        return { status: 204 };
      },
    }),

    // ------------------------------------------------------------------ gateway
    route({
      method: 'get',
      path: '/internal/read-model',
      operationId: 'getReadModel',
      summary:
        "The gateways' snapshot (routes, tiers, applications and keys, subscriptions) and its Kafka position",
      tag: 'internal',
      access: 'gateway',
      responses: { 200: { description: 'libs/events readModelSnapshot' } },
      handler: async () => ({
        status: 200,
        body: await d.readModel(),
        headers: { 'cache-control': 'no-store' },
      }),
    }),
  ];
}

/** Only same-origin paths: never an open redirect. */
export function safeReturnTo(value: string | undefined): string {
  const ok = /^\/(?![/\\])[^\\\r\n]*$/.test(value ?? '');
  return ok ? (value as string) : '/';
}

function identityError(err: unknown): never {
  if (err instanceof IdentityUnavailableError)
    throw unavailable('The key-manager is unavailable, try again later', 5, err);
  if (err instanceof LoginFailedError) throw badRequest(err.message, undefined, 'login_failed');
  throw err;
}
