/**
 * The key-manager as OIDC provider, through openid-client:
 *   - browser sign-in: authorization code + PKCE (S256), state and nonce, ID token validated by
 *     openid-client; roles from the ID token's `roles` claim (or userinfo when absent);
 *   - bearer tokens: RFC 7662 introspection authenticated as the portal client, then userinfo
 *     for the roles. Only user tokens issued to the portal client are accepted, so a token some
 *     third-party application holds for the user cannot drive the portal (the key-manager also
 *     lets a client introspect only its own tokens).
 * Discovery runs lazily and is retried, so the store starts even while the key-manager is down.
 */
import * as oidc from 'openid-client';
import { rolesFromClaim } from '../domain/principal.ts';
import type { Identity, IdentityProvider, LoginStart } from './port.ts';
import { IdentityUnavailableError, LoginFailedError } from './port.ts';

export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
}

export class OidcIdentityProvider implements IdentityProvider {
  private readonly options: OidcOptions;
  private config: Promise<oidc.Configuration> | undefined;

  constructor(options: OidcOptions) {
    this.options = options;
  }

  async beginLogin(redirectUri: string): Promise<LoginStart> {
    const config = await this.configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile roles',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  async completeLogin(
    callbackUrl: URL,
    expected: { state: string; codeVerifier: string; nonce: string; redirectUri: string },
  ): Promise<Identity> {
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(
        config,
        callbackUrl,
        {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: expected.redirectUri },
      );
    } catch (err) {
      throw classify(err, 'sign-in failed');
    }
    const claims = tokens.claims();
    if (!claims?.sub) throw new LoginFailedError('the ID token has no subject');
    let roles = claims['roles'];
    if (roles === undefined) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => undefined);
      roles = info?.['roles'];
    }
    return { subject: claims.sub, roles: rolesFromClaim(roles) };
  }

  async verifyBearer(token: string): Promise<Identity | undefined> {
    const config = await this.configuration();
    let result: oidc.IntrospectionResponse;
    try {
      result = await oidc.tokenIntrospection(config, token);
    } catch (err) {
      throw new IdentityUnavailableError(`introspection failed: ${(err as Error).message}`, err);
    }
    if (!result.active || typeof result.sub !== 'string') return undefined;
    if (result['token_type'] === 'application' || result.client_id !== this.options.clientId)
      return undefined;
    let roles = result['roles'];
    if (roles === undefined) {
      try {
        const info = await oidc.fetchUserInfo(config, token, result.sub);
        roles = info['roles'];
      } catch (err) {
        if (err instanceof oidc.WWWAuthenticateChallengeError || err instanceof oidc.ResponseBodyError) {
          roles = undefined; // no userinfo for this token (no openid scope): developer only
        } else {
          throw new IdentityUnavailableError(`userinfo failed: ${(err as Error).message}`, err);
        }
      }
    }
    return { subject: result.sub, roles: rolesFromClaim(roles) };
  }

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= oidc
      .discovery(
        new URL(this.options.issuer),
        this.options.clientId,
        { client_secret: this.options.clientSecret },
        oidc.ClientSecretBasic(this.options.clientSecret),
        {
          timeout: Math.ceil(this.options.timeoutMs / 1000),
          ...(this.options.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      )
      .catch((err) => {
        this.config = undefined; // try again on the next request
        throw new IdentityUnavailableError(`OIDC discovery failed: ${(err as Error).message}`, err);
      });
    return this.config;
  }
}

function classify(err: unknown, what: string): Error {
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    return new LoginFailedError(`${what}: ${err.error}`, err);
  }
  const name = (err as { name?: string }).name ?? '';
  const code = (err as { code?: string }).code ?? '';
  if (
    name === 'TypeError' ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    code.startsWith('OAUTH_RESPONSE_IS_NOT')
  ) {
    return new IdentityUnavailableError(`${what}: ${(err as Error).message}`, err);
  }
  return new LoginFailedError(`${what}: ${(err as Error).message}`, err);
}
