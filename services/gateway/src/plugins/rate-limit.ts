/**
 * Tier rate limits: the subscription's tier (per application x API) and the application's own
 * tier (per application, all APIs), checked and charged together (ratelimit/limiter.ts).
 * 429 with Retry-After and RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) on
 * refusal; the RateLimit-* headers of the tightest limit on every answer.
 * Redis unreachable: RATE_LIMIT_FAIL_MODE `open` admits the request (counted in
 * gateway_rate_limit_unavailable_total), `closed` answers 503 with Retry-After (docs/adr/0033).
 * A tier that is unlimited (requests null) or unknown to the read model does not limit.
 */
import type { Logger } from '@portico/core';
import { AppError } from '@portico/core';
import { configSchema } from '../config.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { GatewayContext, GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import { anonymousLimitKey, applicationLimitKey, subscriptionLimitKey } from '../ratelimit/keys.ts';
import type { LimitSpec, RateLimitStore } from '../ratelimit/limiter.ts';
import type { ReadModel, Tier } from '../readmodel/model.ts';
import { cannotVerify } from './errors.ts';

const rateLimitConfig = configSchema.pick({
  RATE_LIMIT_FAIL_MODE: true,
  REDIS_KEY_PREFIX: true,
  ANONYMOUS_RATE_LIMIT_PER_MINUTE: true,
});

interface NamedLimit {
  scope: 'subscription' | 'application' | 'anonymous';
  tier: Tier;
  spec: LimitSpec;
}

export function rateLimitPlugin(
  model: ReadModel,
  store: RateLimitStore,
  config: {
    RATE_LIMIT_FAIL_MODE: 'open' | 'closed';
    REDIS_KEY_PREFIX: string;
    ANONYMOUS_RATE_LIMIT_PER_MINUTE: number;
  },
  metrics: GatewayMetrics,
  logger: Logger,
): GatewayPlugin {
  const prefix = config.REDIS_KEY_PREFIX;
  // Open resources (auth type None): one budget per client address and API.
  const anonymousTier =
    config.ANONYMOUS_RATE_LIMIT_PER_MINUTE > 0
      ? {
          revision: 0,
          name: 'anonymous',
          requests: config.ANONYMOUS_RATE_LIMIT_PER_MINUTE,
          unitSeconds: 60,
          burst: null,
        }
      : undefined;
  return {
    name: 'rate-limit',
    priority: PRIORITY.rateLimit,
    configSchema: rateLimitConfig,
    // No promise (no hop) when no limited tier applies: Unlimited tiers never ask Redis.
    handle(ctx) {
      if (ctx.anonymous && ctx.api) {
        if (!anonymousTier) return;
        const ip = ctx.req.socket.remoteAddress ?? 'unknown';
        const key = anonymousLimitKey(prefix, ip, ctx.api.apiId);
        return enforce(ctx, [{ scope: 'anonymous', tier: anonymousTier, spec: spec(key, anonymousTier) }]);
      }
      const { subscription, key, api } = ctx;
      if (!subscription || !key || !api) throw new Error('rate-limit plugin needs access checks');
      const limits: NamedLimit[] = [];
      const app = key.application;
      const subTier = limitedTier(model, subscription.tier);
      if (subTier)
        limits.push({
          scope: 'subscription',
          tier: subTier,
          spec: spec(subscriptionLimitKey(prefix, app.applicationId, api.apiId, subTier.name), subTier),
        });
      const appTier = app.tier ? limitedTier(model, app.tier) : undefined;
      if (appTier)
        limits.push({
          scope: 'application',
          tier: appTier,
          spec: spec(applicationLimitKey(prefix, app.applicationId, appTier.name), appTier),
        });
      if (limits.length === 0) return;
      return enforce(ctx, limits);
    },
  };

  async function enforce(ctx: GatewayContext, limits: NamedLimit[]): Promise<void> {
    const api = ctx.api;
    let decision: Awaited<ReturnType<RateLimitStore['take']>>;
    try {
      decision = await store.take(limits.map((l) => l.spec));
    } catch (err) {
      metrics.rateLimitBypassed.inc({ mode: config.RATE_LIMIT_FAIL_MODE });
      metrics.redisErrors.inc({ op: 'rate-limit' });
      if (config.RATE_LIMIT_FAIL_MODE === 'closed')
        throw cannotVerify('Rate limits cannot be checked right now', 1, err);
      logger.debug({ err: (err as Error).message }, 'rate limit unavailable, failing open');
      return;
    }
    // Headers describe the tightest limit (the refusing one, else the fewest remaining).
    let idx = decision.refusedBy;
    if (idx < 0) {
      idx = 0;
      decision.states.forEach((s, i) => {
        if (s.remaining < (decision.states[idx]?.remaining ?? Infinity)) idx = i;
      });
    }
    const tight = limits[idx];
    const state = decision.states[idx];
    if (tight && state) {
      const { tier } = tight;
      ctx.res.setHeader('ratelimit-limit', String(tier.requests));
      ctx.res.setHeader('ratelimit-remaining', String(state.remaining));
      ctx.res.setHeader('ratelimit-reset', String(Math.ceil(state.resetMs / 1000)));
      ctx.res.setHeader(
        'ratelimit-policy',
        `${tier.requests};w=${tier.unitSeconds};burst=${tight.spec.capacity}`,
      );
    }
    if (!decision.allowed) {
      const scope = tight?.scope ?? 'subscription';
      metrics.rateLimited.inc({ api: api?.apiId ?? 'unmatched', scope });
      throw new AppError(`The ${scope} tier's rate limit is exceeded`, {
        status: 429,
        code: 'rate_limited',
        details: { scope, tier: tight?.tier.name },
        headers: { 'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) },
      });
    }
  }
}

function limitedTier(model: ReadModel, name: string): (Tier & { requests: number }) | undefined {
  const tier = model.tier(name);
  return tier && tier.requests !== null ? (tier as Tier & { requests: number }) : undefined;
}

function spec(key: string, tier: Tier & { requests: number }): LimitSpec {
  return {
    key,
    intervalMs: (tier.unitSeconds * 1000) / tier.requests,
    capacity: tier.burst && tier.burst > 0 ? tier.burst : tier.requests,
  };
}
