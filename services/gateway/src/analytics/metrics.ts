/** Metrics of usage reporting, on the service registry. */
import type { Counter, Metrics } from '@portico/core';
import { promClient } from '@portico/core';

export interface UsageMetrics {
  published: Counter;
  publishFailures: Counter;
  dropped: Counter;
  /** Read when /metrics is scraped. */
  pendingSource: { current: () => number };
}

export function createUsageMetrics(metrics: Metrics): UsageMetrics {
  const registers = [metrics.registry];
  const pendingSource = { current: () => 0 };
  new promClient.Gauge({
    name: 'gateway_usage_batches_pending',
    help: 'Usage batches waiting to be published (Kafka unreachable or slow)',
    registers,
    collect() {
      this.set(pendingSource.current());
    },
  });
  return {
    pendingSource,
    published: new promClient.Counter({
      name: 'gateway_usage_batches_published_total',
      help: 'Usage batches published to Kafka',
      registers,
    }),
    publishFailures: new promClient.Counter({
      name: 'gateway_usage_publish_failures_total',
      help: 'Failed attempts to publish usage batches (retried)',
      registers,
    }),
    dropped: new promClient.Counter({
      name: 'gateway_usage_batches_dropped_total',
      help: 'Usage batches dropped unsent: oldest beyond ANALYTICS_MAX_PENDING_BATCHES, or still unsent at shutdown',
      registers,
    }),
  };
}
