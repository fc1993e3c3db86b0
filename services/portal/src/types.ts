/** The store's REST API resources (services/store/src/http/routes/), as the portal uses them. */
import type { Lifecycle } from '@portico/contracts';

/** Shared with the store: one definition (libs/contracts). */
export type { Lifecycle, PortalConfig } from '@portico/contracts';

export type Role = 'developer' | 'admin';
export type KeyType = 'PRODUCTION' | 'SANDBOX';

export interface Me {
  subject: string;
  roles: Role[];
  authenticatedBy: 'session' | 'bearer';
  csrfToken?: string;
}

export interface Api {
  id: string;
  name: string;
  version: string;
  context: string;
  description: string;
  productionUrl: string;
  sandboxUrl: string | null;
  scopes: string[];
  visibility: 'PUBLIC' | 'RESTRICTED';
  lifecycle: Lifecycle;
  hasDefinition: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Tier {
  name: string;
  description: string;
  requests: number | null;
  unitSeconds: number;
  burst: number | null;
  builtIn: boolean;
}

export interface AppKey {
  keyType: KeyType;
  consumerKey: string;
  allowedDomains: string[];
  validitySeconds: number;
  tokenFormat: 'opaque' | 'jwt';
  grantTypes: string[];
  callbackUrls: string[];
  createdAt: string;
}

export interface Application {
  id: string;
  name: string;
  description: string;
  owner: string;
  tier: string | null;
  status: 'ACTIVE';
  keys: AppKey[];
  createdAt: string;
  updatedAt: string;
}

export interface Subscription {
  id: string;
  applicationId: string;
  apiId: string;
  tier: string;
  status: 'ACTIVE' | 'BLOCKED';
  createdAt: string;
  updatedAt: string;
}

export interface Items<T> {
  items: T[];
}

export interface GeneratedKey extends AppKey {
  consumerSecret: string;
}

export interface AppToken {
  accessToken: string;
  tokenType: string;
  expiresIn: number | null;
  scope: string;
}
