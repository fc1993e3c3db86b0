/** The gateway's own Prometheus metrics, registered on the service registry. */
import type { Counter, Gauge, Histogram, Metrics } from '@portico/core';
import { promClient } from '@portico/core';

export interface GatewayMetrics {
  requests: Counter<'api' | 'status'>;
  gatewayLatency: Histogram<'api'>;
  upstreamLatency: Histogram<'api'>;
  cacheLookups: Counter<'level' | 'result'>;
  validations: Counter<'source' | 'outcome'>;
  revocationLag: Histogram<'replica'>;
  revocationsApplied: Counter<'type'>;
  consumerLag: Gauge<'consumer'>;
  /** Sources read when /metrics is scraped: consumer name -> messages not yet applied. */
  lagSources: Map<string, () => number>;
  rateLimited: Counter<'api' | 'scope'>;
  rateLimitBypassed: Counter<'mode'>;
  redisErrors: Counter<'op'>;
  /** Level-2 entries whose MAC did not verify (forged, or written with another key). */
  cacheIntegrityFailures: Counter;
}

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function createGatewayMetrics(metrics: Metrics): GatewayMetrics {
  const registers = [metrics.registry];
  const lagSources = new Map<string, () => number>();
  return {
    lagSources,
    requests: new promClient.Counter({
      name: 'gateway_requests_total',
      help: 'Proxied requests by API (id, or "unmatched") and response status',
      labelNames: ['api', 'status'] as const,
      registers,
    }),
    gatewayLatency: new promClient.Histogram({
      name: 'gateway_added_latency_seconds',
      help: 'Time the gateway adds to a request (total minus upstream time)',
      labelNames: ['api'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamLatency: new promClient.Histogram({
      name: 'gateway_upstream_latency_seconds',
      help: 'Time from sending the request upstream to the response headers',
      labelNames: ['api'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    cacheLookups: new promClient.Counter({
      name: 'gateway_token_cache_lookups_total',
      help: 'Validation cache lookups by level (l1 in-process, l2 redis) and result',
      labelNames: ['level', 'result'] as const,
      registers,
    }),
    validations: new promClient.Counter({
      name: 'gateway_token_validations_total',
      help: 'Token validations by source (l1, l2, jwt, introspection, deny-list) and outcome',
      labelNames: ['source', 'outcome'] as const,
      registers,
    }),
    revocationLag: new promClient.Histogram({
      name: 'gateway_revocation_lag_seconds',
      help: 'Revocation event time to applied on this replica',
      labelNames: ['replica'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    revocationsApplied: new promClient.Counter({
      name: 'gateway_revocations_applied_total',
      help: 'Revocation events applied to the deny-list, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    consumerLag: new promClient.Gauge({
      name: 'gateway_consumer_lag_messages',
      help: 'Kafka messages known but not yet applied, by consumer',
      labelNames: ['consumer'] as const,
      registers,
      collect() {
        for (const [consumer, lag] of lagSources) this.set({ consumer }, lag());
      },
    }),
    rateLimited: new promClient.Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests answered 429, by API and limit scope (subscription, application)',
      labelNames: ['api', 'scope'] as const,
      registers,
    }),
    rateLimitBypassed: new promClient.Counter({
      name: 'gateway_rate_limit_unavailable_total',
      help: 'Requests whose rate limit could not be checked (Redis down), by fail mode',
      labelNames: ['mode'] as const,
      registers,
    }),
    redisErrors: new promClient.Counter({
      name: 'gateway_redis_errors_total',
      help: 'Redis operations that failed or timed out',
      labelNames: ['op'] as const,
      registers,
    }),
    cacheIntegrityFailures: new promClient.Counter({
      name: 'gateway_token_cache_integrity_failures_total',
      help: 'Shared (Redis) validation entries refused because their MAC did not verify; treated as misses',
      registers,
    }),
  };
}
