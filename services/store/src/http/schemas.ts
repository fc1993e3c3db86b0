/**
 * The REST API's schemas, defined once. Request validation parses with these very schemas and
 * the OpenAPI document is generated from them (z.toJSONSchema), so the two cannot drift.
 * Request bodies are strict objects: unknown fields (owner, status, clientId, …) are rejected
 * with 400, which is how mass assignment is refused.
 */
import { keyTypeSchema, lifecycleSchema, tokenFormatSchema } from '@portico/events';
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
const id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`))
    .meta({ description: `${prefix}_ followed by 32 hex digits`, example: `${prefix}_${'0'.repeat(32)}` });

export const apiId = id('api');
export const applicationId = id('app');
export const subscriptionId = id('sub');
export const tierName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
  .meta({ description: 'tier name', example: 'Gold' });
export const keyType = keyTypeSchema;

export const httpUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/i, 'expected an http(s) URL');
export const contextPath = z
  .string()
  .max(256)
  .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'expected a path such as /twitter/1.0.0');
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'a scope token');
export const visibility = z.enum(['PUBLIC', 'RESTRICTED']);
export const lifecycle = lifecycleSchema;

// ------------------------------------------------------------------ errors
export const errorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string().optional(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

// ------------------------------------------------------------------ APIs
const apiFields = {
  name: text(200),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a version such as 1.0.0'),
  context: contextPath,
  description: z.string().max(4000).optional(),
  productionUrl: httpUrl,
  sandboxUrl: httpUrl.nullable().optional(),
  scopes: z.array(scope).max(100).optional(),
  visibility: visibility.optional(),
  /** The API's own OpenAPI document (stored as given, at most ~256 KiB). */
  definition: z.record(z.string(), z.unknown()).optional(),
};
export const apiCreate = z.strictObject(apiFields).meta({ id: 'ApiCreate' });
export const apiUpdate = z
  .strictObject({
    name: apiFields.name.optional(),
    description: apiFields.description,
    productionUrl: apiFields.productionUrl.optional(),
    sandboxUrl: apiFields.sandboxUrl,
    scopes: apiFields.scopes,
    visibility: apiFields.visibility,
    definition: apiFields.definition,
  })
  .meta({ id: 'ApiUpdate', description: 'name/version/context identity: version and context are fixed' });
export const lifecycleChange = z.strictObject({ state: lifecycle }).meta({ id: 'LifecycleChange' });
export const api = z
  .object({
    id: apiId,
    name: z.string(),
    version: z.string(),
    context: z.string(),
    description: z.string(),
    productionUrl: z.string(),
    sandboxUrl: z.string().nullable(),
    scopes: z.array(z.string()),
    visibility,
    lifecycle,
    hasDefinition: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Api' });
export const apiList = z.object({ items: z.array(api) }).meta({ id: 'ApiList' });

// ------------------------------------------------------------------ tiers
export const tierBody = z
  .strictObject({
    description: z.string().max(1000).optional(),
    /** Requests allowed per `unitSeconds`; null = unlimited. */
    requests: z.number().int().positive().max(1_000_000_000).nullable(),
    unitSeconds: z
      .number()
      .int()
      .positive()
      .max(31 * 24 * 3600),
    burst: z.number().int().nonnegative().max(1_000_000_000).nullable().optional(),
  })
  .meta({ id: 'TierBody' });
export const tier = z
  .object({
    name: z.string(),
    description: z.string(),
    requests: z.number().nullable(),
    unitSeconds: z.number(),
    burst: z.number().nullable(),
    builtIn: z.boolean(),
  })
  .meta({ id: 'Tier' });
export const tierList = z.object({ items: z.array(tier) }).meta({ id: 'TierList' });

// ------------------------------------------------------------------ applications
export const applicationCreate = z
  .strictObject({
    name: text(200),
    description: z.string().max(1000).optional(),
    tier: tierName.nullable().optional(),
  })
  .meta({ id: 'ApplicationCreate' });
export const applicationUpdate = z
  .strictObject({
    name: text(200).optional(),
    description: z.string().max(1000).optional(),
    tier: tierName.nullable().optional(),
  })
  .meta({ id: 'ApplicationUpdate' });
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
export const application = z
  .object({
    id: applicationId,
    name: z.string(),
    description: z.string(),
    owner: z.string(),
    tier: z.string().nullable(),
    /** DELETING: deletion has begun and finishes in the background (the key-manager was unreachable). */
    status: z.enum(['ACTIVE', 'DELETING']),
    keys: z.array(keySummary),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Application' });
export const applicationList = z.object({ items: z.array(application) }).meta({ id: 'ApplicationList' });

// ------------------------------------------------------------------ subscriptions
export const subscriptionCreate = z
  .strictObject({ applicationId, apiId, tier: tierName })
  .meta({ id: 'SubscriptionCreate' });
export const subscriptionUpdate = z
  .strictObject({
    tier: tierName.optional(),
    /** Admins only: block or unblock. */
    status: z.enum(['ACTIVE', 'BLOCKED']).optional(),
  })
  .meta({ id: 'SubscriptionUpdate' });
export const subscription = z
  .object({
    id: subscriptionId,
    applicationId,
    apiId,
    tier: z.string(),
    status: z.enum(['ACTIVE', 'BLOCKED']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscription' });
export const subscriptionList = z.object({ items: z.array(subscription) }).meta({ id: 'SubscriptionList' });
export const subscriptionQuery = z.strictObject({ applicationId: applicationId.optional() });

// ------------------------------------------------------------------ keys
const grantType = z.enum([
  'client_credentials',
  'password',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);
const keySettingsFields = {
  /** Host names or *.example.com; empty or ["ALL"] = any domain. */
  allowedDomains: z.array(z.string().max(300)).max(200),
  /** Seconds; negative = never expires; within the administrator's bounds. */
  validitySeconds: z.number().int().min(-1_000_000_000).max(1_000_000_000),
  tokenFormat: tokenFormatSchema,
  grantTypes: z.array(grantType).min(1).max(5),
  callbackUrls: z.array(httpUrl).max(20),
};
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

// ------------------------------------------------------------------ identity
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

// ------------------------------------------------------------------ catalog import
export const catalogTier = tierBody.extend({ name: tierName });
export const catalogApi = z.strictObject({
  ...apiFields,
  lifecycle: lifecycle.optional(),
});
export const catalogDocument = z
  .strictObject({
    tiers: z.array(catalogTier).max(500).optional(),
    apis: z.array(catalogApi).max(2000).optional(),
  })
  .meta({ id: 'CatalogDocument' });
export const catalogImportResult = z
  .object({
    tiers: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
    apis: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
  })
  .meta({ id: 'CatalogImportResult' });
