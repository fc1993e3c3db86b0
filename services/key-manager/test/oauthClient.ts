/**
 * Drives the key-manager with oauth4webapi (a standard OAuth client library nobody here wrote)
 * and plain HTTP for the login and consent pages, like a browser would.
 */
import * as oauth from 'oauth4webapi';
import type { Running } from './harness.ts';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(km: Running): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(km.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface LoginResult {
  callback: URL;
  pages: string[];
}

/**
 * Follows the authorization request through the login (and consent) pages until the redirect
 * to `redirectUri`. Returns the callback URL and the HTML pages seen.
 */
export async function driveAuthorization(
  km: Running,
  authorizationUrl: URL,
  redirectUri: string,
  credentials: { username: string; password: string },
): Promise<LoginResult> {
  const jar = new CookieJar();
  const pages: string[] = [];
  let next: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = {
    url: authorizationUrl.href,
    method: 'GET',
  };
  for (let i = 0; i < 20; i += 1) {
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(next.body ? { body: next.body } : {}),
    });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, next.url);
      if (target.href.startsWith(redirectUri)) return { callback: target, pages };
      next = { url: target.href, method: 'GET' };
      continue;
    }
    const html = await res.text();
    pages.push(html);
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${next.url}: ${html.slice(0, 300)}`);
    const login = /<form method="post" action="([^"]+\/login)"/.exec(html);
    if (login?.[1]) {
      next = {
        url: new URL(login[1].replaceAll('&amp;', '&'), km.issuer).href,
        method: 'POST',
        body: new URLSearchParams(credentials),
      };
      continue;
    }
    const confirm = /<form method="post" action="([^"]+\/confirm)"/.exec(html);
    if (confirm?.[1]) {
      next = {
        url: new URL(confirm[1], km.issuer).href,
        method: 'POST',
        body: new URLSearchParams({ decision: 'allow' }),
      };
      continue;
    }
    throw new Error(`no form to submit at ${next.url}`);
  }
  throw new Error('too many steps');
}

/** Authorization code + PKCE S256 with oauth4webapi; returns the token endpoint result. */
export async function authorizationCodeFlow(
  km: Running,
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
  const { callback, pages } = await driveAuthorization(km, url, client.redirectUri, credentials);
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
