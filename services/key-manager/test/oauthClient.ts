/**
 * Drives the key-manager with oauth4webapi (a standard OAuth client library nobody here wrote)
 * and plain HTTP for the login and consent pages, like a browser would.
 */
import { FormBrowser } from '@portico/testing';
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(km: Running): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(km.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

export interface LoginResult {
  callback: URL;
  pages: string[];
}

/**
 * Follows the authorization request through the login (and consent) pages until the redirect
 * to `redirectUri`, with the same scripted browser the store's and e2e tests use. Returns the
 * callback URL and the HTML pages seen.
 */
export async function driveAuthorization(
  authorizationUrl: URL,
  redirectUri: string,
  credentials: { username: string; password: string },
): Promise<LoginResult> {
  const browser = new FormBrowser();
  const callback = await browser.signIn(authorizationUrl.href, credentials, redirectUri);
  if (!callback.href.startsWith(redirectUri))
    throw new Error(`no redirect to ${redirectUri}: stopped at ${callback.href}`);
  return { callback, pages: browser.pages };
}

/** Authorization code + PKCE S256 with oauth4webapi; returns the token endpoint result. */
export async function authorizationCodeFlow(
  as: oauth.AuthorizationServer,
  client: { id: string; secret: string; redirectUri: string },
  credentials: { username: string; password: string },
  scope: string,
): Promise<{ tokens: oauth.TokenEndpointResponse; pages: string[] }> {
  const oc: oauth.Client = { client_id: client.id };
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint as string);
  url.searchParams.set('client_id', client.id);
  url.searchParams.set('redirect_uri', client.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (scope.split(' ').includes('openid')) url.searchParams.set('nonce', nonce);
  const { callback, pages } = await driveAuthorization(url, client.redirectUri, credentials);
  const params = oauth.validateAuthResponse(as, oc, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    oc,
    oauth.ClientSecretBasic(client.secret),
    params,
    client.redirectUri,
    verifier,
    insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, oc, response, {
    ...(scope.split(' ').includes('openid') ? { expectedNonce: nonce, requireIdToken: true } : {}),
  });
  return { tokens, pages };
}
