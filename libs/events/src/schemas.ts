/**
 * Event contracts, version 1. Every message value is an envelope
 *   { id, type, version: 1, occurredAt, source, data }
 * validated with zod on both sides. Message keys are chosen for ordering and compaction
 * (see `eventKey`). Documented in docs/events.md; change both together.
 */
import { MAX_OPEN_RESOURCES, OPEN_RESOURCE_METHODS, openResourcePathProblem } from '@portico/contracts';
import { z } from 'zod';
import { usageBatch } from './usage.ts';

export const keyTypeSchema = z.enum(['PRODUCTION', 'SANDBOX']);
export type KeyType = z.infer<typeof keyTypeSchema>;
export const tokenFormatSchema = z.enum(['opaque', 'jwt']);
export type TokenFormat = z.infer<typeof tokenFormatSchema>;
export const lifecycleSchema = z.enum(['CREATED', 'PUBLISHED', 'DEPRECATED', 'BLOCKED', 'RETIRED']);
export type ApiLifecycle = z.infer<typeof lifecycleSchema>;

const isoTime = z.iso.datetime({ offset: true });
/** One resource that needs no token (libs/contracts open-resources.ts has the rules). */
export const openResourceSchema = z.object({
  method: z.enum(OPEN_RESOURCE_METHODS),
  path: z.string().superRefine((path, ctx) => {
    const problem = openResourcePathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: `path pattern ${problem}` });
  }),
});

export const apiContextSchema = z
  .string()
  .max(256)
  .regex(
    /^(\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._~-]+)+$/,
    'expected a path like /twitter/1.0.0 without . or .. segments',
  );
const nullableTime = isoTime.nullable();
/**
 * Monotonic per entity (the store's document version). Consumers apply an entity event only
 * when its revision is newer than what they hold, so replays, duplicates and a snapshot
 * followed by the stream converge on the latest state in any order.
 */
const revision = z.number().int().nonnegative();

function envelope<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    id: z.string().min(1).max(128),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: isoTime,
    source: z.string().min(1).max(64),
    data,
  });
}

// --- revocations (topic: revocations; compacted) --------------------------------------------
export const tokenRevoked = envelope(
  'token.revoked',
  z.object({
    /** SHA-256 (hex) of the raw token, as the gateway computes it for its cache key (docs/internal-apis.md). */
    tokenHash: z.string().regex(/^[a-f0-9]{64}$/),
    jti: z.string().max(256).optional(),
    grantId: z.string().max(256).optional(),
    clientId: z.string().min(1).max(256),
    /** When the token would have expired anyway; null = never. The deny entry lives until then. */
    expiresAt: nullableTime,
  }),
);
export const grantRevoked = envelope(
  'grant.revoked',
  z.object({
    grantId: z.string().min(1).max(256),
    clientId: z.string().min(1).max(256),
    expiresAt: nullableTime,
  }),
);
export const clientTokensRevoked = envelope(
  'client.tokens_revoked',
  z.object({ clientId: z.string().min(1).max(256), revokedBefore: isoTime }),
);
export const userTokensRevoked = envelope(
  'user.tokens_revoked',
  z.object({
    subject: z.string().min(1).max(512),
    domain: z.string().min(1).max(256),
    revokedBefore: isoTime,
  }),
);
export const domainTokensRevoked = envelope(
  'domain.tokens_revoked',
  z.object({ domain: z.string().min(1).max(256), revokedBefore: isoTime }),
);
export const revocationEvent = z.discriminatedUnion('type', [
  tokenRevoked,
  grantRevoked,
  clientTokensRevoked,
  userTokensRevoked,
  domainTokensRevoked,
]);
export type RevocationEvent = z.infer<typeof revocationEvent>;

// --- OAuth clients (topic: clients) -----------------------------------------------------------
export const clientUpserted = envelope(
  'client.upserted',
  z.object({
    revision,
    clientId: z.string().min(1).max(256),
    keyType: keyTypeSchema,
    tokenFormat: tokenFormatSchema,
    applicationId: z.string().max(128).nullable(),
    disabled: z.boolean(),
  }),
);
export const clientDeleted = envelope(
  'client.deleted',
  z.object({
    revision,
    clientId: z.string().min(1).max(256),
  }),
);
export const clientEvent = z.discriminatedUnion('type', [clientUpserted, clientDeleted]);
export type ClientEvent = z.infer<typeof clientEvent>;

// --- applications (topic: applications) -------------------------------------------------------
export const applicationKey = z.object({
  keyType: keyTypeSchema,
  clientId: z.string().min(1).max(256),
  /** Normalized host names or `*.example.com`; empty = any domain. */
  allowedDomains: z.array(z.string().min(1).max(253)).max(100),
});
export const applicationUpserted = envelope(
  'application.upserted',
  z.object({
    revision,
    applicationId: z.string().min(1).max(128),
    name: z.string().min(1).max(200),
    owner: z.string().min(1).max(512),
    tier: z.string().max(64).nullable(),
    keys: z.array(applicationKey).max(2),
  }),
);
export const applicationDeleted = envelope(
  'application.deleted',
  z.object({
    revision,
    applicationId: z.string().min(1).max(128),
  }),
);
export const applicationEvent = z.discriminatedUnion('type', [applicationUpserted, applicationDeleted]);
export type ApplicationEvent = z.infer<typeof applicationEvent>;

// --- subscriptions (topic: subscriptions) -----------------------------------------------------
export const subscriptionUpserted = envelope(
  'subscription.upserted',
  z.object({
    revision,
    subscriptionId: z.string().min(1).max(128),
    applicationId: z.string().min(1).max(128),
    apiId: z.string().min(1).max(128),
    tier: z.string().min(1).max(64),
    status: z.enum(['ACTIVE', 'BLOCKED']),
  }),
);
export const subscriptionDeleted = envelope(
  'subscription.deleted',
  z.object({
    revision,
    subscriptionId: z.string().min(1).max(128),
    applicationId: z.string().min(1).max(128),
    apiId: z.string().min(1).max(128),
  }),
);
export const subscriptionEvent = z.discriminatedUnion('type', [subscriptionUpserted, subscriptionDeleted]);
export type SubscriptionEvent = z.infer<typeof subscriptionEvent>;

// --- catalog: APIs and tiers (topic: apis) ----------------------------------------------------
export const apiUpserted = envelope(
  'api.upserted',
  z.object({
    revision,
    apiId: z.string().min(1).max(128),
    name: z.string().min(1).max(200),
    version: z.string().min(1).max(64),
    /** e.g. /twitter/1.0.0 — no empty, `.` or `..` segments, so routing cannot be confused. */
    context: apiContextSchema,
    productionUrl: z.url().nullable(),
    sandboxUrl: z.url().nullable(),
    scopes: z.array(z.string().min(1).max(128)).max(100),
    lifecycle: lifecycleSchema,
    /** Resources that need no token (auth type None); absent in events of older stores. */
    openResources: z.array(openResourceSchema).max(MAX_OPEN_RESOURCES).optional(),
  }),
);
export const apiDeleted = envelope(
  'api.deleted',
  z.object({
    revision,
    apiId: z.string().min(1).max(128),
  }),
);
export const tierUpserted = envelope(
  'tier.upserted',
  z.object({
    revision,
    name: z.string().min(1).max(64),
    /** null = unlimited */
    requests: z.number().int().positive().nullable(),
    unitSeconds: z.number().int().positive(),
    burst: z.number().int().nonnegative().nullable(),
  }),
);
export const tierDeleted = envelope(
  'tier.deleted',
  z.object({
    revision,
    name: z.string().min(1).max(64),
  }),
);
export const catalogEvent = z.discriminatedUnion('type', [
  apiUpserted,
  apiDeleted,
  tierUpserted,
  tierDeleted,
]);
export type CatalogEvent = z.infer<typeof catalogEvent>;

export const anyEvent = z.discriminatedUnion('type', [
  ...revocationEvent.options,
  ...clientEvent.options,
  ...applicationEvent.options,
  ...subscriptionEvent.options,
  ...catalogEvent.options,
  usageBatch,
]);
export type PorticoEvent = z.infer<typeof anyEvent>;
export type EventType = PorticoEvent['type'];
export type EventOf<T extends EventType> = Extract<PorticoEvent, { type: T }>;

/** The message key: the entity whose events must stay ordered (and which compaction keeps). */
export function eventKey(event: PorticoEvent): string {
  switch (event.type) {
    case 'token.revoked':
      return `token:${event.data.tokenHash}`;
    case 'grant.revoked':
      return `grant:${event.data.grantId}`;
    case 'client.tokens_revoked':
      return `client:${event.data.clientId}`;
    case 'user.tokens_revoked':
      return `user:${event.data.subject}`;
    case 'domain.tokens_revoked':
      return `domain:${event.data.domain}`;
    case 'client.upserted':
    case 'client.deleted':
      return event.data.clientId;
    case 'application.upserted':
    case 'application.deleted':
      return event.data.applicationId;
    case 'subscription.upserted':
    case 'subscription.deleted':
      return event.data.subscriptionId;
    case 'api.upserted':
    case 'api.deleted':
      return `api:${event.data.apiId}`;
    case 'tier.upserted':
    case 'tier.deleted':
      return `tier:${event.data.name}`;
    case 'usage.batch':
      return event.data.replicaId;
  }
}
