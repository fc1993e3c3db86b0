/**
 * Access checks against the current read model (never cached with the token):
 * 1. the token's client belongs to a known application key, and the client is not disabled;
 * 2. the token's key type matches the key's, and the API has an endpoint for it;
 * 3. the application is subscribed to this API and the subscription is ACTIVE;
 * 4. the caller's domain is allowed (header mandatory only for restricted keys);
 * 5. the token carries every scope the API declares.
 * Each refusal is 403 with its own machine code.
 */
import { configSchema } from '../config.ts';
import { checkDomain } from '../pipeline/domain.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import type { ReadModel } from '../readmodel/model.ts';
import { denied } from './errors.ts';

const accessConfig = configSchema.pick({ CLIENT_DOMAIN_HEADERS: true });

export function accessPlugin(model: ReadModel, config: { CLIENT_DOMAIN_HEADERS: string[] }): GatewayPlugin {
  return {
    name: 'access',
    priority: PRIORITY.access,
    configSchema: accessConfig,
    handle(ctx) {
      const api = ctx.api;
      if (api && ctx.anonymous) {
        // No application, key or subscription to check: the production endpoint serves it.
        if (!api.productionUrl) throw denied('This API has no production endpoint', 'no_production_endpoint');
        ctx.target = upstreamUrl(api.productionUrl, ctx.rest ?? '', ctx.query ?? '');
        return;
      }
      const facts = ctx.facts;
      if (!api || !facts) throw new Error('access plugin needs route and authentication');
      const key = model.keyForClient(facts.clientId);
      if (!key)
        throw denied('The token belongs to no application known to this gateway', 'unknown_application');
      if (model.client(facts.clientId)?.disabled)
        throw denied('The client of this token is disabled', 'client_disabled');
      if (facts.keyType !== null && facts.keyType !== key.keyType) {
        throw denied('The token key type does not match its application key', 'key_type_mismatch');
      }
      const endpoint = key.keyType === 'PRODUCTION' ? api.productionUrl : api.sandboxUrl;
      if (!endpoint) {
        const code = key.keyType === 'PRODUCTION' ? 'no_production_endpoint' : 'no_sandbox_endpoint';
        throw denied(`This API has no ${key.keyType.toLowerCase()} endpoint`, code);
      }
      const subscription = model.subscription(key.application.applicationId, api.apiId);
      if (!subscription) throw denied('The application is not subscribed to this API', 'not_subscribed');
      if (subscription.status !== 'ACTIVE')
        throw denied('The subscription is blocked', 'subscription_blocked');
      const domain = checkDomain(key.allowedDomains, ctx.req.headers, config.CLIENT_DOMAIN_HEADERS);
      if (domain === 'missing') {
        throw denied(
          `This key is restricted to some domains: send ${config.CLIENT_DOMAIN_HEADERS.join(' or ')}`,
          'domain_required',
        );
      }
      if (domain === 'denied')
        throw denied('The calling domain is not allowed for this key', 'domain_not_allowed');
      const missing = api.scopes.filter((s) => !facts.scopes.includes(s));
      if (missing.length > 0) {
        const err = denied(`The token lacks the scopes: ${missing.join(' ')}`, 'insufficient_scope');
        // RFC 6750 §3.1: tell the client which scope it needs.
        err.headers['www-authenticate'] =
          `Bearer error="insufficient_scope", scope="${api.scopes.join(' ')}"`;
        throw err;
      }
      ctx.key = key;
      ctx.subscription = subscription;
      ctx.target = upstreamUrl(endpoint, ctx.rest ?? '', ctx.query ?? '');
    },
  };
}

/** Endpoint base + the path after the context (already vetted) + the query. */
export function upstreamUrl(endpoint: string, rest: string, query: string): URL {
  const base = endpointBase(endpoint);
  const path = `${base.path}${rest}` || '/';
  return new URL(`${base.origin}${path}${query ? `?${query}` : ''}`);
}

// Endpoints come from the read model: a few distinct strings, parsed once instead of per request.
const bases = new Map<string, { origin: string; path: string }>();

function endpointBase(endpoint: string): { origin: string; path: string } {
  let base = bases.get(endpoint);
  if (!base) {
    const url = new URL(endpoint);
    base = { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
    if (bases.size >= 10_000) bases.clear(); // bounded: endpoints change with the catalog
    bases.set(endpoint, base);
  }
  return base;
}
