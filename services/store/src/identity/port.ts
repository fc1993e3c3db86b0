/**
 * The identity provider the store relies on: the key-manager's OIDC endpoints. oidc.ts is the
 * real implementation (openid-client); memory.ts its in-memory twin for unit tests.
 * Failures to reach the provider throw IdentityUnavailableError (→ 503), never "not signed in".
 */
import type { Role } from '../domain/principal.ts';

export interface Identity {
  subject: string;
  roles: Role[];
}

export interface LoginStart {
  /** Where to send the browser (authorization endpoint with PKCE S256, state and nonce). */
  url: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

export interface IdentityProvider {
  beginLogin(redirectUri: string): Promise<LoginStart>;
  /** Exchanges the code from the callback URL; throws LoginFailedError when it is not valid. */
  completeLogin(
    callbackUrl: URL,
    expected: { state: string; codeVerifier: string; nonce: string; redirectUri: string },
  ): Promise<Identity>;
  /** The user behind a bearer access token, or undefined when the token is not acceptable. */
  verifyBearer(token: string): Promise<Identity | undefined>;
}

export class IdentityUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'IdentityUnavailableError';
  }
}

export class LoginFailedError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'LoginFailedError';
  }
}
