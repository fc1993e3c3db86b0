/**
 * The WSO2-compatible resource owner password grant, as a custom oidc-provider grant type:
 *   grant_type=password&username=DOMAIN/alice&password=…[&scope=…]
 * Only clients whose grant_types include `password` may use it (checked by oidc-provider before
 * this handler runs). Wrong credentials, unknown domains, disabled or locked users, and an account
 * waiting out its failure delay (passwordFailures.ts: one count per account, shared with the login
 * form, whatever the client id) all answer the same `invalid_grant`. The tokens follow the user's
 * partition like any user token.
 */

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { PasswordFailures } from '../limits/passwordFailures.ts';
import { parseUserName } from '../users/domains.ts';
import type { UserStore } from '../users/userStore.ts';
import { GATEWAY_RESOURCE, resourceServerInfo } from './provider.ts';

export function registerPasswordGrant(
  provider: Provider,
  options: {
    users: UserStore;
    domains: ReadonlySet<string>;
    audience: string;
    passwordFailures: PasswordFailures;
  },
): void {
  const handler = async (ctx: KoaContextWithOIDC) => {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication failed');
    if (!params['username'] || !params['password']) {
      throw new errors.InvalidRequest('username and password are required');
    }
    const name = parseUserName(params['username'], options.domains);
    if (!name) throw new errors.InvalidGrant('invalid username or password');
    // During the account's delay the password is not even checked; the answer is the same.
    const wait = await options.passwordFailures.claim(name.canonical);
    if (wait > 0) throw new errors.InvalidGrant('invalid username or password');
    const user = await options.users.authenticate(name, params['password']);
    if (!user) throw new errors.InvalidGrant('invalid username or password');
    await options.passwordFailures.passwordAccepted(name.canonical);

    const info = resourceServerInfo(client as never, options.audience);
    const allowed = new Set(info.scope.split(' '));
    const requested = (params['scope'] ?? '').split(' ').filter(Boolean);
    const scope = requested.filter((s) => allowed.has(s)).join(' ');

    const grant = new provider.Grant({ accountId: name.canonical, clientId: client.clientId });
    grant.addResourceScope(GATEWAY_RESOURCE, scope);
    const grantId = await grant.save();

    const at = new provider.AccessToken({
      accountId: name.canonical,
      client,
      grantId,
      gty: 'password',
      scope: scope || undefined,
    } as never);
    at.resourceServer = new provider.ResourceServer(GATEWAY_RESOURCE, info as never);
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken: string | undefined;
    if (client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({
        accountId: name.canonical,
        client,
        grantId,
        gty: 'password',
        scope: scope || undefined,
        resource: GATEWAY_RESOURCE,
        iiat: Math.floor(Date.now() / 1000),
      } as never);
      refreshToken = await rt.save();
    }

    ctx.body = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: at.expiration,
      ...(scope ? { scope } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  };
  provider.registerGrantType('password', handler, ['username', 'password', 'scope']);
}
