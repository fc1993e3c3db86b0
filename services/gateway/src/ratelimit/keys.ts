/**
 * Rate-limit keys (docs/adr/0037). All limits of one request are charged by one Lua script, so
 * on a Redis Cluster they must live in one hash slot: every key carries the application id as
 * its hash tag (`{...}`), and every limit a request can touch belongs to one application. The
 * prefix holds no braces (config.ts), so the tag is always the application id.
 */
/**
 * A subscription's tier limit is keyed by the application x API pair, not the subscription id:
 * unsubscribing and subscribing again must not hand out a fresh budget.
 */
export function subscriptionLimitKey(
  prefix: string,
  applicationId: string,
  apiId: string,
  tier: string,
): string {
  return `${prefix}rl:{${applicationId}}:api:${apiId}:${tier}`;
}

/** Open resources: per client address and API (the address is the tag: one key per request). */
export function anonymousLimitKey(prefix: string, clientAddress: string, apiId: string): string {
  return `${prefix}rl:{anon:${clientAddress}}:api:${apiId}`;
}

export function applicationLimitKey(prefix: string, applicationId: string, tier: string): string {
  return `${prefix}rl:{${applicationId}}:app:${tier}`;
}
