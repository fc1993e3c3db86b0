/** Application keys (PRODUCTION, SANDBOX), their secrets and application access tokens. */
import {
  CALLBACK_URL_RULE,
  KEY_GRANT_TYPES,
  MAX_CALLBACK_URL_LENGTH,
  MAX_CALLBACK_URLS,
} from '@portico/contracts';
import { tokenFormatSchema } from '@portico/events';
import { z } from 'zod';
import type { KeyService } from '../../domain/keys.ts';
import { presentKey } from '../present.ts';
import type { RouteSpec } from '../route.ts';
import { route } from '../route.ts';
import { API, applicationId, keyType, scope } from '../schemas.ts';

// The shapes; which grant types go together and which callback URLs are acceptable is the one
// rule of libs/contracts (checkKeyGrants), applied by the domain (domain/keys.ts).
const grantType = z.enum(KEY_GRANT_TYPES);
const callbackUrl = z.string().max(MAX_CALLBACK_URL_LENGTH).meta({ description: CALLBACK_URL_RULE });
const keySettingsFields = {
  /** Host names or *.example.com; empty or ["ALL"] = any domain. */
  allowedDomains: z.array(z.string().max(300)).max(200),
  /** Seconds; negative = never expires; within the administrator's bounds. */
  validitySeconds: z.number().int().min(-1_000_000_000).max(1_000_000_000),
  tokenFormat: tokenFormatSchema,
  /** refresh_token only with password or authorization_code. */
  grantTypes: z.array(grantType).min(1).max(KEY_GRANT_TYPES.length),
  /** Needed (at least one) by authorization_code. */
  callbackUrls: z.array(callbackUrl).max(MAX_CALLBACK_URLS),
};
export const keySummary = z
  .object({
    keyType,
    consumerKey: z.string(),
    allowedDomains: z.array(z.string()),
    validitySeconds: z.number().int(),
    tokenFormat: tokenFormatSchema,
    grantTypes: z.array(z.string()),
    callbackUrls: z.array(z.string()),
    createdAt: z.string(),
  })
  .meta({ id: 'ApplicationKey' });
export const keyGenerate = z
  .strictObject({
    allowedDomains: keySettingsFields.allowedDomains.optional(),
    validitySeconds: keySettingsFields.validitySeconds.optional(),
    tokenFormat: keySettingsFields.tokenFormat.optional(),
    grantTypes: keySettingsFields.grantTypes.optional(),
    callbackUrls: keySettingsFields.callbackUrls.optional(),
  })
  .meta({ id: 'KeyGenerate' });
export const keyUpdate = keyGenerate.meta({ id: 'KeyUpdate' });
export const generatedKey = keySummary
  .extend({ consumerSecret: z.string().meta({ description: 'shown once' }) })
  .meta({ id: 'GeneratedKey' });
export const keyList = z.object({ items: z.array(keySummary) }).meta({ id: 'ApplicationKeyList' });
export const tokenRequest = z
  .strictObject({
    scopes: z.array(scope).max(50).optional(),
    validitySeconds: keySettingsFields.validitySeconds.optional(),
    /**
     * false: earlier tokens stay valid (the portal's try-it console asks for a short-lived
     * token without revoking the one the developer's application uses). Default true.
     */
    revokePrevious: z.boolean().optional(),
  })
  .meta({ id: 'TokenRequest' });
export const tokenResponse = z
  .object({
    accessToken: z.string(),
    tokenType: z.string(),
    expiresIn: z.number().int().nullable(),
    scope: z.string(),
  })
  .meta({ id: 'ApplicationToken' });
export const secretResponse = z.object({ consumerSecret: z.string() }).meta({ id: 'ConsumerSecret' });

const appParams = z.object({ applicationId });
const params = z.object({ applicationId, keyType });
const KEY = `${API}/applications/:applicationId/keys/:keyType`;

export function keyRoutes(keys: KeyService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: `${API}/applications/:applicationId/keys`,
      operationId: 'listKeys',
      summary: "The application's keys (no secrets)",
      tag: 'keys',
      access: 'user',
      params: appParams,
      responses: { 200: { description: 'Keys', schema: keyList } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: {
          items: (await keys.list(principal, params.applicationId)).map(([kt, k]) => presentKey(kt, k)),
        },
      }),
    }),
    route({
      method: 'post',
      path: KEY,
      operationId: 'generateKeys',
      summary: 'Generate PRODUCTION or SANDBOX keys (the consumer secret is shown once)',
      tag: 'keys',
      access: 'user',
      params,
      body: keyGenerate,
      bodyOptional: true,
      responses: {
        201: { description: 'Generated', schema: generatedKey },
        409: { description: 'Keys exist' },
      },
      handler: async ({ principal, params, body }) => {
        const { key, consumerSecret } = await keys.generate(
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
      path: KEY,
      operationId: 'getKeys',
      summary: 'Get a key (no secret)',
      tag: 'keys',
      access: 'user',
      params,
      responses: { 200: { description: 'The key', schema: keySummary } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: presentKey(params.keyType, await keys.get(principal, params.applicationId, params.keyType)),
      }),
    }),
    route({
      method: 'patch',
      path: KEY,
      operationId: 'updateKeys',
      summary: 'Change allowed domains, token validity, token format, grant types or callback URLs',
      tag: 'keys',
      access: 'user',
      params,
      body: keyUpdate,
      responses: { 200: { description: 'Updated', schema: keySummary } },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: presentKey(
          params.keyType,
          await keys.update(principal, params.applicationId, params.keyType, body),
        ),
      }),
    }),
    route({
      method: 'delete',
      path: KEY,
      operationId: 'revokeKeys',
      summary: 'Revoke the keys: the client is deleted at the key-manager and its tokens revoked',
      tag: 'keys',
      access: 'user',
      params,
      responses: { 204: { description: 'Revoked' } },
      handler: async ({ principal, params }) => {
        await keys.revoke(principal, params.applicationId, params.keyType);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${KEY}/token`,
      operationId: 'generateToken',
      summary: 'Generate (or regenerate) the application access token; earlier ones are revoked',
      tag: 'keys',
      access: 'user',
      params,
      body: tokenRequest,
      bodyOptional: true,
      responses: { 200: { description: 'The token (shown once)', schema: tokenResponse } },
      handler: async ({ principal, params, body }) => {
        const t = await keys.token(principal, params.applicationId, params.keyType, body);
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
      path: `${KEY}/secret`,
      operationId: 'regenerateSecret',
      summary: 'Regenerate the consumer secret (the old one stops working, tokens are revoked)',
      tag: 'keys',
      access: 'user',
      params,
      responses: { 200: { description: 'The new secret (shown once)', schema: secretResponse } },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: {
          consumerSecret: await keys.regenerateSecret(principal, params.applicationId, params.keyType),
        },
        headers: { 'cache-control': 'no-store' },
      }),
    }),
  ];
}
