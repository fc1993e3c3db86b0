/**
 * What the store needs from the key-manager's admin API (docs/internal-apis.md). The real
 * implementation is http.ts; memory.ts is its in-memory twin for unit tests.
 * Implementations throw KeyManagerError: `unavailable` (network, timeout, 5xx → callers answer
 * 503 with Retry-After), `not_found` (the client does not exist), `rejected` (4xx).
 */
import type { TokenValidity } from '@portico/contracts';
import type { KeyType, TokenFormat } from '@portico/events';

export interface ClientSpec {
  applicationId: string;
  keyType: KeyType;
  tokenFormat: TokenFormat;
  grantTypes: string[];
  redirectUris: string[];
  scopes?: string[];
  /** Seconds, or NEVER_EXPIRES (@portico/contracts). */
  validitySeconds: TokenValidity;
  name: string;
}

export interface ClientInfo {
  clientId: string;
  keyType: KeyType;
  tokenFormat: TokenFormat;
  grantTypes: string[];
  redirectUris: string[];
  validitySeconds?: TokenValidity | null;
  applicationId: string | null;
  disabled?: boolean;
}

export interface IssuedToken {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

export type ClientPatch = Partial<
  Pick<ClientSpec, 'tokenFormat' | 'grantTypes' | 'redirectUris' | 'scopes' | 'validitySeconds' | 'name'>
> & { disabled?: boolean };

export interface KeyManagerClient {
  createClient(spec: ClientSpec): Promise<ClientInfo & { clientSecret: string }>;
  getClient(clientId: string): Promise<ClientInfo>;
  updateClient(clientId: string, patch: ClientPatch): Promise<void>;
  /** Deletes the client and revokes all its tokens. A client already gone is not an error. */
  deleteClient(clientId: string): Promise<void>;
  regenerateSecret(clientId: string): Promise<string>;
  issueApplicationToken(
    clientId: string,
    options: { scope?: string; validitySeconds?: TokenValidity; revokePrevious: boolean },
  ): Promise<IssuedToken>;
}

export type KeyManagerErrorKind = 'unavailable' | 'not_found' | 'rejected';

export class KeyManagerError extends Error {
  readonly kind: KeyManagerErrorKind;
  readonly status: number | undefined;
  constructor(kind: KeyManagerErrorKind, message: string, status?: number, cause?: unknown) {
    super(message, { cause });
    this.name = 'KeyManagerError';
    this.kind = kind;
    this.status = status;
  }
}
