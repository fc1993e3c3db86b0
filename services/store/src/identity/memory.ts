/** In-memory twin of the key-manager as identity provider, for unit tests. */
import { randomBytes } from 'node:crypto';
import type { Identity, IdentityProvider, LoginStart } from './port.ts';
import { IdentityUnavailableError, LoginFailedError } from './port.ts';

export class MemoryIdentityProvider implements IdentityProvider {
  private readonly tokens = new Map<string, Identity>();
  private readonly codes = new Map<string, { identity: Identity; state: string }>();
  down = false;

  /** A bearer token that authenticates `identity`. */
  issueToken(identity: Identity): string {
    const token = `mem_${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, identity);
    return token;
  }

  /** Simulates the user signing in at the provider: the code the callback will carry. */
  authorize(state: string, identity: Identity): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { identity, state });
    return code;
  }

  async beginLogin(redirectUri: string): Promise<LoginStart> {
    this.check();
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const url = `https://identity.test/auth?${new URLSearchParams({ state, nonce, redirect_uri: redirectUri })}`;
    return { url, state, nonce, codeVerifier };
  }

  async completeLogin(callbackUrl: URL, expected: { state: string }): Promise<Identity> {
    this.check();
    const code = callbackUrl.searchParams.get('code') ?? '';
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant || grant.state !== expected.state) throw new LoginFailedError('invalid authorization code');
    return grant.identity;
  }

  async verifyBearer(token: string): Promise<Identity | undefined> {
    this.check();
    return this.tokens.get(token);
  }

  private check(): void {
    if (this.down) throw new IdentityUnavailableError('identity provider unreachable (twin is down)');
  }
}
