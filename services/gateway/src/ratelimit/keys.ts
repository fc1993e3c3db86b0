/**
 * Rate-limit keys (docs/adr/0037). All limits of one request are charged by one Lua script, so
 * on a Redis Cluster they must live in one hash slot: every key carries the application id as
 * its hash tag (`{...}`), and every limit a request can touch belongs to one application. The
 * prefix holds no braces (config.ts), so the tag is always the application id.
 */
export function subscriptionLimitKey(
  prefix: string,
  applicationId: string,
  subscriptionId: string,
  tier: string,
): string {
  return `${prefix}rl:{${applicationId}}:sub:${subscriptionId}:${tier}`;
}

export function applicationLimitKey(prefix: string, applicationId: string, tier: string): string {
  return `${prefix}rl:{${applicationId}}:app:${tier}`;
}
