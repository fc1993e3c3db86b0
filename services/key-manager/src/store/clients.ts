/**
 * OAuth clients: our own documents (collection `clients`), turned into oidc-provider metadata
 * on lookup. Secrets are stored hashed (hashing.ts); oidc-provider's secret comparison is
 * replaced by `verifyClientSecret`, so the metadata handed to it carries only the hash.
 * Statically configured clients (gateway, portal) come from configuration and never touch the
 * database.
 */
import { randomBytes } from 'node:crypto';
import type { TokenValidity } from '@portico/contracts';
import { MAX_CALLBACK_URL_LENGTH, NEVER_EXPIRES } from '@portico/contracts';
import type { mongo } from 'mongoose';
import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { hashClientSecret } from '../crypto/hashing.ts';
import { validitySeconds } from '../oidc/validity.ts';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

// Shapes only: which grant types go together and which redirect URIs are acceptable is the one
// rule of libs/contracts (checkKeyGrants), applied by the admin router. These bounds only keep
// bodies small; the rule's own limits are lower and answer with a field message.
const grantTypes = z.array(z.string().max(100)).max(100);
const redirectUris = z.array(z.string().max(MAX_CALLBACK_URL_LENGTH + 1)).max(100);

/** The client's own validity; null = the defaults apply (validity.ts). */
const clientValidity = validitySeconds.nullable();

export const clientInput = z
  .object({
    applicationId: z.string().min(1).max(128),
    keyType: z.enum(['PRODUCTION', 'SANDBOX']),
    tokenFormat: z.enum(['opaque', 'jwt']).default('opaque'),
    grantTypes: grantTypes.default(['client_credentials']),
    redirectUris: redirectUris.default([]),
    scopes: z.array(z.string().regex(SCOPE_TOKEN)).max(100).default([]),
    validitySeconds: clientValidity.optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

export const clientPatch = z
  .object({
    tokenFormat: z.enum(['opaque', 'jwt']),
    grantTypes,
    redirectUris,
    scopes: z.array(z.string().regex(SCOPE_TOKEN)).max(100),
    validitySeconds: clientValidity,
    name: z.string().min(1).max(200),
    disabled: z.boolean(),
  })
  .partial()
  .strict();

export type ClientInput = z.infer<typeof clientInput>;
export type ClientPatch = z.infer<typeof clientPatch>;

export interface ClientDoc {
  _id: string;
  secretHash: string;
  applicationId: string | null;
  keyType: 'PRODUCTION' | 'SANDBOX';
  tokenFormat: 'opaque' | 'jwt';
  grantTypes: string[];
  redirectUris: string[];
  scopes: string[];
  validitySeconds: TokenValidity | null;
  name: string | null;
  disabled: boolean;
  /** Trusted first-party clients (the portal) skip the consent page. */
  firstParty?: boolean;
  postLogoutRedirectUris?: string[];
  createdAt: Date;
  updatedAt: Date;
  revision: number;
}

export interface ClientView {
  clientId: string;
  applicationId: string | null;
  keyType: string;
  tokenFormat: string;
  grantTypes: string[];
  redirectUris: string[];
  scopes: string[];
  validitySeconds: TokenValidity | null;
  name: string | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The extra client metadata our provider configuration declares. */
export const EXTRA_CLIENT_METADATA = [
  'key_type',
  'token_format',
  'validity_seconds',
  'first_party',
  'api_scopes',
];

/**
 * A stored client as read. Migration: documents written before the validity had one name carry
 * it as `accessTokenTtl` (seconds, any negative = never); they are read as `validitySeconds`
 * until their next update rewrites them.
 */
export function fromStored(doc: ClientDoc | null): ClientDoc | null {
  if (!doc) return null;
  const legacy = doc as ClientDoc & { accessTokenTtl?: number | null };
  if (legacy.validitySeconds !== undefined || legacy.accessTokenTtl === undefined) return doc;
  const { accessTokenTtl, ...rest } = legacy;
  const validity = typeof accessTokenTtl === 'number' && accessTokenTtl < 0 ? NEVER_EXPIRES : accessTokenTtl;
  return { ...rest, validitySeconds: validity ?? null };
}

export function newClientId(): string {
  return `ck_${randomBytes(16).toString('base64url')}`;
}

export function newClientSecret(): string {
  return `cs_${randomBytes(32).toString('base64url')}`;
}

export function viewOf(doc: ClientDoc): ClientView {
  return {
    clientId: doc._id,
    applicationId: doc.applicationId,
    keyType: doc.keyType,
    tokenFormat: doc.tokenFormat,
    grantTypes: doc.grantTypes,
    redirectUris: doc.redirectUris,
    scopes: doc.scopes,
    validitySeconds: doc.validitySeconds,
    name: doc.name,
    disabled: doc.disabled,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** The OpenID scopes the provider knows; API scopes are per client (`api_scopes`). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'roles', 'offline_access'];

export function metadataOf(doc: ClientDoc): AdapterPayload {
  // oidc-provider only accepts its own (OIDC) scopes in `scope`; API scopes travel in
  // `api_scopes` and become the gateway resource server's scopes (provider.ts).
  return {
    client_id: doc._id,
    client_secret: doc.secretHash,
    client_name: doc.name ?? undefined,
    grant_types: doc.grantTypes,
    response_types: doc.grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: doc.redirectUris,
    post_logout_redirect_uris: doc.postLogoutRedirectUris ?? [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: OIDC_SCOPES.join(' '),
    api_scopes: doc.scopes,
    key_type: doc.keyType,
    token_format: doc.tokenFormat,
    validity_seconds: doc.validitySeconds,
    first_party: doc.firstParty === true,
  } as AdapterPayload;
}

export interface ClientStore {
  create(input: ClientInput): Promise<{ doc: ClientDoc; secret: string }>;
  get(clientId: string): Promise<ClientDoc | null>;
  update(clientId: string, patch: ClientPatch): Promise<ClientDoc | null>;
  setSecret(clientId: string): Promise<string | null>;
  remove(clientId: string): Promise<boolean>;
  allIds(): Promise<string[]>;
  /** oidc-provider metadata; undefined for unknown or disabled clients. */
  findMetadata(clientId: string): Promise<AdapterPayload | undefined>;
}

export interface ClientCacheOptions {
  /**
   * How long a client read for authentication is reused (CLIENT_CACHE_TTL_MS; 0 = never). Changes
   * made through THIS store (update, new secret, delete) drop the entry at once; other replicas see
   * them within the TTL.
   */
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}

export function createClientStore(
  db: mongo.Db,
  hashKey: string,
  staticClients: ClientDoc[],
  cacheOptions: ClientCacheOptions = { ttlMs: 0 },
): ClientStore {
  const col = db.collection<ClientDoc>('clients');
  const statics = new Map(staticClients.map((c) => [c._id, c]));
  // Every token and introspection request authenticates a client: without this, one database
  // round trip each. Only found clients are cached (a new client is usable at once everywhere).
  const cache = new Map<string, { doc: ClientDoc; until: number }>();
  const now = cacheOptions.now ?? Date.now;
  const maxEntries = cacheOptions.maxEntries ?? 10_000;
  // Bumped by every change made here: a lookup that read the database before a change finished
  // must not cache what it read (it may be the old secret).
  let changes = 0;
  const forget = (clientId: string) => {
    changes += 1;
    cache.delete(clientId);
  };
  const remember = (doc: ClientDoc, readAt: number) => {
    if (cacheOptions.ttlMs <= 0 || readAt !== changes) return;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string); // oldest first
    cache.set(doc._id, { doc, until: now() + cacheOptions.ttlMs });
  };
  return {
    async create(input) {
      const secret = newClientSecret();
      const now = new Date();
      const doc: ClientDoc = {
        _id: newClientId(),
        secretHash: hashClientSecret(hashKey, secret),
        applicationId: input.applicationId,
        keyType: input.keyType,
        tokenFormat: input.tokenFormat,
        grantTypes: [...new Set(input.grantTypes)],
        redirectUris: input.redirectUris,
        scopes: [...new Set(input.scopes)],
        validitySeconds: input.validitySeconds ?? null,
        name: input.name ?? null,
        disabled: false,
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      await col.insertOne(doc);
      return { doc, secret };
    },
    async get(clientId) {
      if (statics.has(clientId)) return null; // not managed through the admin API
      return fromStored(await col.findOne({ _id: clientId }));
    },
    async update(clientId, patch) {
      if (statics.has(clientId)) return null;
      forget(clientId);
      const set: Record<string, unknown> = { updatedAt: new Date() };
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) set[k] = v;
      if (patch.grantTypes) set['grantTypes'] = [...new Set(patch.grantTypes)];
      // Migration (fromStored): a new validity replaces the one stored under the old name.
      const unset = patch.validitySeconds !== undefined ? { $unset: { accessTokenTtl: true as const } } : {};
      const doc = await col.findOneAndUpdate(
        { _id: clientId },
        { $set: set, ...unset, $inc: { revision: 1 } },
        { returnDocument: 'after' },
      );
      forget(clientId); // a lookup racing the write may have read the old record
      return fromStored(doc);
    },
    async setSecret(clientId) {
      if (statics.has(clientId)) return null;
      forget(clientId);
      const secret = newClientSecret();
      const res = await col.updateOne(
        { _id: clientId },
        {
          $set: { secretHash: hashClientSecret(hashKey, secret), updatedAt: new Date() },
          $inc: { revision: 1 },
        },
      );
      forget(clientId);
      return res.matchedCount === 1 ? secret : null;
    },
    async remove(clientId) {
      if (statics.has(clientId)) return false;
      forget(clientId);
      const res = await col.deleteOne({ _id: clientId });
      forget(clientId);
      return res.deletedCount === 1;
    },
    async allIds() {
      const docs = await col.find({}, { projection: { _id: 1 } }).toArray();
      return docs.map((d) => d._id);
    },
    async findMetadata(clientId) {
      if (typeof clientId !== 'string' || clientId.length > 256) return undefined;
      let doc = statics.get(clientId);
      if (!doc) {
        const hit = cache.get(clientId);
        if (hit && hit.until > now()) doc = hit.doc;
        else {
          const readAt = changes;
          doc = fromStored(await col.findOne({ _id: clientId })) ?? undefined;
          if (doc) remember(doc, readAt);
          else cache.delete(clientId);
        }
      }
      if (!doc || doc.disabled) return undefined;
      return metadataOf(doc);
    },
  };
}

export function staticClient(
  hashKey: string,
  fields: Pick<ClientDoc, '_id' | 'grantTypes' | 'redirectUris' | 'name'> & {
    secret: string;
    firstParty?: boolean;
    postLogoutRedirectUris?: string[];
  },
): ClientDoc {
  const now = new Date(0);
  return {
    _id: fields._id,
    secretHash: hashClientSecret(hashKey, fields.secret),
    applicationId: null,
    keyType: 'PRODUCTION',
    tokenFormat: 'opaque',
    grantTypes: fields.grantTypes,
    redirectUris: fields.redirectUris,
    scopes: [],
    validitySeconds: null,
    name: fields.name,
    disabled: false,
    firstParty: fields.firstParty ?? false,
    postLogoutRedirectUris: fields.postLogoutRedirectUris ?? [],
    createdAt: now,
    updatedAt: now,
    revision: 0,
  };
}
