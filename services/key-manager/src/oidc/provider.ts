/**
 * The oidc-provider instance: configuration, model hooks and Portico's claims.
 * - Every access token is issued for one resource server (the gateway, audience
 *   ACCESS_TOKEN_AUDIENCE) whose format — opaque or JWT (RFC 9068, typ at+jwt) — is the client's
 *   `token_format`; the portal's login tokens stay plain OIDC tokens for userinfo.
 * - Token ids of user tokens carry their partition prefix (domains.ts).
 * - Client secrets are compared against their stored hash.
 * - Claims of the contracts (docs/internal-apis.md): grant_id, key_type, user_store_domain,
 *   token_type, iat_ms.
 * - Token validity (validity.ts): a never-expiring token carries NEVER_CLAIM in its record.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TokenValidity } from '@portico/contracts';
import { isNeverExpires } from '@portico/contracts';
import type { Configuration, FindAccount, JWK, KoaContextWithOIDC } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import { verifyClientSecret } from '../crypto/hashing.ts';
import { EXTRA_CLIENT_METADATA, OIDC_SCOPES } from '../store/clients.ts';
import type { Partitions } from '../users/domains.ts';
import { domainOfSubject } from '../users/domains.ts';
import type { UserStore } from '../users/userStore.ts';
import { errorPage, layout } from './pages.ts';
import type { ValidityPolicy } from './validity.ts';
import {
  accessTokenValidity,
  isNeverToken,
  lifetimeOf,
  NEVER_CLAIM,
  NEVER_LIFETIME_SECONDS,
} from './validity.ts';

/** The resource indicator of the gateway (internal name; the audience is configurable). */
export const GATEWAY_RESOURCE = 'urn:portico:gateway';

export interface ProviderOptions {
  issuer: string;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  users: UserStore;
  partitions: Partitions;
  validity: ValidityPolicy;
  authorizationCodeTtl: number;
  audience: string;
  gatewayClientId: string;
  secretHashKey: string;
  adapter: (name: string) => import('oidc-provider').Adapter;
}

type AnyToken = {
  kind: string;
  clientId: string;
  accountId?: string;
  grantId?: string;
  client?: { metadata(): Record<string, unknown> };
};

/** The current oidc-provider request context (for code deep below, e.g. the adapter). */
export const requestScope = new AsyncLocalStorage<KoaContextWithOIDC>();

/** Validities asked for a token by the admin API (requestValidity), until it is saved. */
const requestedValidity = new WeakMap<object, TokenValidity>();

export function requestValidity(token: object, validity: TokenValidity): void {
  requestedValidity.set(token, validity);
}

/** Requests that issued a never-expiring access token (their token response gets no expires_in). */
const neverIssued = new WeakSet<object>();

function noteNeverIssued(): void {
  const ctx = requestScope.getStore();
  if (ctx) neverIssued.add(ctx);
}

export function issuedNeverExpiring(ctx: object): boolean {
  return neverIssued.has(ctx);
}

export function currentClientId(): string | undefined {
  return requestScope.getStore()?.oidc?.client?.clientId;
}

type ClientLike = { metadata(): Record<string, unknown> } | undefined;

// oidc-provider's metadata() rebuilds (snake_cases) the whole record on each call, and a token
// request asks several times; its Client instances are immutable (a changed record is a new one).
const metadataOf = new WeakMap<object, Record<string, unknown>>();

function clientMeta(client: ClientLike): Record<string, unknown> {
  if (!client) return {};
  let meta = metadataOf.get(client);
  if (!meta) {
    meta = client.metadata();
    metadataOf.set(client, meta);
  }
  return meta;
}

/** API scopes the client may receive on the gateway resource ('default' always). */
function resourceScopes(client: ClientLike): string {
  const raw = clientMeta(client)['api_scopes'];
  const api = Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
  return [...new Set(['default', ...api])].join(' ');
}

export function resourceServerInfo(client: ClientLike, audience: string) {
  const format = clientMeta(client)['token_format'] === 'jwt' ? 'jwt' : 'opaque';
  return {
    audience,
    scope: resourceScopes(client),
    accessTokenFormat: format,
    ...(format === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
  } as const;
}

export function createProvider(options: ProviderOptions): Provider {
  const findAccount: FindAccount = async (_ctx, sub) => {
    const user = await options.users.get(sub);
    if (!user?.enabled || user.locked) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        preferred_username: user.name,
        user_store_domain: user.domain,
        roles: user.roles,
        ...(user.email ? { email: user.email } : {}),
      }),
    };
  };

  /** The validity a new access token gets: the one asked for (admin API), else by precedence. */
  const validityOf = (token: AnyToken, client: ClientLike): TokenValidity => {
    const asked = requestedValidity.get(token);
    if (asked !== undefined) return asked;
    const kind = token.kind === 'ClientCredentials' ? 'application' : 'user';
    const own = clientMeta(client)['validity_seconds'] as TokenValidity | null | undefined;
    return accessTokenValidity(options.validity, kind, own, domainOfSubject(token.accountId));
  };
  const accessTtl = (_ctx: unknown, token: AnyToken, client: ClientLike) =>
    lifetimeOf(validityOf(token, client));

  const secure = options.issuer.startsWith('https:');
  const issuerPath = new URL(options.issuer).pathname.replace(/\/$/, '');
  const configuration: Configuration = {
    adapter: options.adapter,
    findAccount,
    jwks: options.jwks as Configuration['jwks'],
    cookies: {
      keys: options.cookieKeys,
      long: { signed: true, secure, sameSite: 'lax', httpOnly: true },
      short: { signed: true, secure, sameSite: 'lax', httpOnly: true },
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'user_store_domain'],
      email: ['email'],
      roles: ['roles'],
    },
    scopes: OIDC_SCOPES,
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientBasedCORS: () => false,
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    // Discovery advertises exactly what works: client secrets (Basic, or in the body, which
    // oauthMiddleware.ts moves to Basic). No JWT client assertions (so no HS256 & co.), no public
    // clients: every client of the admin API has a secret.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
    },
    features: {
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          client.clientId === options.gatewayClientId || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // Only the token's own client may revoke it (RFC 7009 §2.1); others get 200 and no effect.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = layout(
            'Sign out',
            `<h1>Sign out</h1><p>Do you want to sign out?</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = layout('Signed out', '<h1>Signed out</h1><p>You are signed out.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          return clientMeta(client as unknown as ClientLike)['first_party'] === true
            ? undefined
            : GATEWAY_RESOURCE;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          if (resource !== GATEWAY_RESOURCE) throw new errors.InvalidTarget('unknown resource indicator');
          return resourceServerInfo(client as unknown as ClientLike, options.audience) as never;
        },
      },
    },
    extraTokenClaims: async (_ctx, token) => {
      const t = token as unknown as AnyToken;
      const client = t.client ?? ((await provider.Client.find(t.clientId)) as unknown as ClientLike);
      const domain = domainOfSubject(t.accountId);
      const never = isNeverExpires(validityOf(t, client));
      if (never) noteNeverIssued();
      return {
        ...(t.grantId ? { grant_id: t.grantId } : {}),
        key_type: clientMeta(client)['key_type'] ?? 'PRODUCTION',
        ...(domain ? { user_store_domain: domain } : {}),
        token_type: t.accountId ? 'user' : 'application',
        iat_ms: Date.now(),
        ...(never ? { [NEVER_CLAIM]: true } : {}),
      };
    },
    formats: {
      customizers: {
        jwt: async (_ctx, _token, jwt) => {
          const p = jwt.payload as Record<string, unknown>;
          if (isNeverToken(p)) delete p['exp'];
          delete p[NEVER_CLAIM];
        },
      },
    },
    ttl: {
      AccessToken: accessTtl as never,
      ClientCredentials: accessTtl as never,
      RefreshToken: options.validity.refresh,
      AuthorizationCode: options.authorizationCodeTtl,
      IdToken: 3600,
      Interaction: 3600,
      Session: 86_400,
      Grant: NEVER_LIFETIME_SECONDS,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    allowOmittingSingleRegisteredRedirectUri: false,
    interactions: { url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage('Request failed', `${out.error}: ${out.error_description ?? ''}`);
    },
    loadExistingGrant: async (ctx) => {
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
  };

  // Disabled outright: the development login pages must never be served.
  (configuration.features as Record<string, unknown>)['devInteractions'] = { enabled: false };
  const provider = new Provider(options.issuer, configuration as Configuration);
  provider.proxy = true; // our middleware sets X-Forwarded-* from ISSUER (never from the caller)

  // Hashed client secrets: oidc-provider only ever sees the hash.
  const ClientModel = provider.Client as unknown as { prototype: Record<string, unknown> };
  ClientModel.prototype['compareClientSecret'] = async function compare(
    this: { clientSecret: string },
    actual: string,
  ) {
    return verifyClientSecret(options.secretHashKey, actual, this.clientSecret);
  };

  // Partition prefix for user tokens: the partition is recoverable from the token value.
  for (const model of [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode]) {
    const proto = (model as unknown as { prototype: Record<string, unknown> }).prototype;
    const original = proto['generateTokenId'] as (this: AnyToken) => string;
    proto['generateTokenId'] = function generateTokenId(this: AnyToken) {
      return options.partitions.prefix(original.call(this), domainOfSubject(this.accountId));
    };
  }

  return provider;
}
