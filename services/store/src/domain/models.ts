/**
 * The store's MongoDB collections. Every entity document carries its own outbox (see
 * outbox/entity-store.ts). Unique keys are plain fields (`contextKey`, `ownerNameKey`,
 * `pairKey`, …) rewritten to `deleted:<id>` on deletion, because FerretDB has no partial
 * indexes and tombstones must not block reuse of a name.
 */
import type { Lifecycle, OpenResource } from '@portico/contracts';
import type { KeyType, TokenFormat } from '@portico/events';
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import type { EntityBase } from '../outbox/entity-store.ts';
import { entityFields } from '../outbox/entity-store.ts';

export type Visibility = 'PUBLIC' | 'RESTRICTED';
export type { Lifecycle };

export interface ApiDoc extends EntityBase {
  name: string;
  version: string;
  context: string;
  contextKey: string;
  nameVersionKey: string;
  description: string;
  productionUrl: string;
  sandboxUrl: string | null;
  scopes: string[];
  /** Resources that need no token (WSO2's auth type None), libs/contracts open-resources.ts. */
  openResources?: OpenResource[];
  visibility: Visibility;
  lifecycle: Lifecycle;
  /** The API's own OpenAPI document as JSON text (its `$ref` keys are not valid field names). */
  definition: string | null;
}

export interface TierDoc extends EntityBase {
  description: string;
  requests: number | null;
  unitSeconds: number;
  burst: number | null;
  builtIn: boolean;
}

export interface KeySettings {
  allowedDomains: string[];
  validitySeconds: number;
  tokenFormat: TokenFormat;
  grantTypes: string[];
  callbackUrls: string[];
}

export type KeyState =
  | ({ state: 'PENDING'; pendingSince: Date } & KeySettings)
  | ({ state: 'ACTIVE'; clientId: string; createdAt: Date } & KeySettings);

export interface ApplicationDoc extends EntityBase {
  name: string;
  ownerNameKey: string;
  owner: string;
  description: string;
  tier: string | null;
  /** Set when deletion has begun; it finishes on retry or by the background reconciler. */
  deleting: boolean;
  keys: Partial<Record<KeyType, KeyState>>;
  /** Key-manager clients still to delete (deleted keys, or the keys of a deleted application). */
  orphanClients: string[];
}

export interface SubscriptionDoc extends EntityBase {
  applicationId: string;
  apiId: string;
  owner: string;
  pairKey: string;
  tier: string;
  status: 'ACTIVE' | 'BLOCKED';
}

export interface SessionDoc {
  _id: string;
  subject: string;
  roles: string[];
  csrfToken: string;
  expiresAt: Date;
  createdAt: Date;
}

export interface LoginStateDoc {
  _id: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  expiresAt: Date;
}

export interface StoreModels {
  apis: Model<ApiDoc>;
  tiers: Model<TierDoc>;
  applications: Model<ApplicationDoc>;
  subscriptions: Model<SubscriptionDoc>;
  sessions: Model<SessionDoc>;
  loginStates: Model<LoginStateDoc>;
}

export function createModels(conn: Connection): StoreModels {
  const api = new Schema<ApiDoc>(
    {
      ...entityFields,
      name: String,
      version: String,
      context: String,
      contextKey: { type: String, unique: true },
      nameVersionKey: { type: String, unique: true },
      description: String,
      productionUrl: String,
      sandboxUrl: String,
      scopes: [String],
      openResources: [{ _id: false, method: String, path: String }],
      visibility: String,
      lifecycle: String,
      definition: String,
    } as never,
    { collection: 'apis', versionKey: false },
  );
  const tier = new Schema<TierDoc>(
    {
      ...entityFields,
      description: String,
      requests: Number,
      unitSeconds: Number,
      burst: Number,
      builtIn: Boolean,
    } as never,
    { collection: 'tiers', versionKey: false },
  );
  const application = new Schema<ApplicationDoc>(
    {
      ...entityFields,
      name: String,
      ownerNameKey: { type: String, unique: true },
      owner: { type: String, index: true },
      description: String,
      tier: String,
      deleting: { type: Boolean, index: true },
      keys: Schema.Types.Mixed,
      orphanClients: [String],
    } as never,
    { collection: 'applications', versionKey: false },
  );
  const subscription = new Schema<SubscriptionDoc>(
    {
      ...entityFields,
      applicationId: { type: String, index: true },
      apiId: { type: String, index: true },
      owner: { type: String, index: true },
      pairKey: { type: String, unique: true },
      tier: String,
      status: String,
    } as never,
    { collection: 'subscriptions', versionKey: false },
  );
  const session = new Schema<SessionDoc>(
    {
      _id: String,
      subject: String,
      roles: [String],
      csrfToken: String,
      expiresAt: { type: Date, index: true },
      createdAt: Date,
    },
    { collection: 'sessions', versionKey: false },
  );
  const loginState = new Schema<LoginStateDoc>(
    { _id: String, codeVerifier: String, nonce: String, returnTo: String, expiresAt: Date },
    { collection: 'login_states', versionKey: false },
  );
  return {
    apis: conn.model<ApiDoc>('Api', api),
    tiers: conn.model<TierDoc>('Tier', tier),
    applications: conn.model<ApplicationDoc>('Application', application),
    subscriptions: conn.model<SubscriptionDoc>('Subscription', subscription),
    sessions: conn.model<SessionDoc>('Session', session),
    loginStates: conn.model<LoginStateDoc>('LoginState', loginState),
  };
}

/** Creates collections and indexes (idempotent). */
export async function ensureIndexes(models: StoreModels): Promise<void> {
  for (const model of Object.values(models) as Array<Model<unknown>>) {
    await model.createCollection().catch(() => undefined);
    await model.syncIndexes();
  }
}
