/**
 * Outbound hygiene: removes the `access_token` query parameter (with REMOVE_OAUTH_HEADERS) and
 * prepares the signed backend JWT describing the caller. The header filtering itself happens
 * in the proxy plugin (proxy/headers.ts), which only ever sees the cleaned set.
 * Signed JWTs are reused for the same token, API, subscription and application revision for up
 * to half their lifetime (never past the token's expiry), so signing is not on every request.
 */
import { LRUCache } from 'lru-cache';
import { configSchema } from '../config.ts';
import { withoutAccessToken } from '../pipeline/path.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import type { BackendJwtSigner } from '../proxy/backend-jwt.ts';

const outboundConfig = configSchema.pick({
  REMOVE_OAUTH_HEADERS: true,
  BACKEND_JWT_ENABLED: true,
  BACKEND_JWT_HEADER: true,
  BACKEND_JWT_TTL_SECONDS: true,
});

export function outboundPlugin(
  signer: BackendJwtSigner,
  config: {
    REMOVE_OAUTH_HEADERS: boolean;
    BACKEND_JWT_ENABLED: boolean;
    BACKEND_JWT_HEADER: string;
    BACKEND_JWT_TTL_SECONDS: number;
  },
): GatewayPlugin {
  const signed = new LRUCache<string, string>({ max: 10_000 });
  const header = config.BACKEND_JWT_HEADER.toLowerCase();
  return {
    name: 'outbound',
    priority: PRIORITY.outbound,
    configSchema: outboundConfig,
    // Synchronous when the signed JWT is reused; a promise only when one must be signed.
    handle(ctx) {
      if (ctx.anonymous && ctx.target) {
        // Nobody to vouch for: no backend JWT; a sent access_token never reaches the upstream.
        const query = withoutAccessToken(ctx.target.search.slice(1));
        ctx.target.search = query ? `?${query}` : '';
        return;
      }
      const { target, facts, key, api, subscription } = ctx;
      if (!target || !facts || !key || !api || !subscription)
        throw new Error('outbound plugin needs access checks');
      if (config.REMOVE_OAUTH_HEADERS && target.search) {
        const query = withoutAccessToken(target.search.slice(1));
        target.search = query ? `?${query}` : '';
      }
      if (!config.BACKEND_JWT_ENABLED) return;
      const app = key.application;
      const isUser =
        facts.tokenType === 'user' || (facts.tokenType === null && facts.subject !== facts.clientId);
      const cacheKey = `${ctx.tokenHash}:${api.apiId}:${api.revision}:${subscription.revision}:${app.revision}`;
      const reused = ctx.tokenHash ? signed.get(cacheKey) : undefined;
      if (reused) {
        ctx.upstreamHeaders[header] = reused;
        return;
      }
      return signer
        .sign({
          sub: facts.subject,
          aud: api.context,
          client_id: facts.clientId,
          application: { id: app.applicationId, name: app.name, owner: app.owner, tier: app.tier },
          subscriber: app.owner,
          key_type: key.keyType,
          end_user: isUser ? facts.subject : null,
          user_store_domain: facts.userStoreDomain,
          tier: subscription.tier,
          scope: facts.scopes.join(' '),
          api: { id: api.apiId, name: api.name, version: api.version, context: api.context },
        })
        .then((jwt) => {
          ctx.upstreamHeaders[header] = jwt;
          let ttlMs = (config.BACKEND_JWT_TTL_SECONDS * 1000) / 2;
          if (facts.exp !== null) ttlMs = Math.min(ttlMs, facts.exp * 1000 - Date.now());
          if (ctx.tokenHash && ttlMs >= 1000) signed.set(cacheKey, jwt, { ttl: ttlMs });
        });
    },
  };
}
