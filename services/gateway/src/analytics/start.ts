/** Usage reporting from the gateway config: its own Kafka producer, the topic it owns, the reporter. */
import type { Logger, Metrics } from '@portico/core';
import { EventBus, ownedTopicSpecs, replicationOf, usageTopicName } from '@portico/events';
import type { Config } from '../config.ts';
import { createUsageMetrics } from './metrics.ts';
import { UsageReporter } from './reporter.ts';

type AnalyticsConfig = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_TOPIC_PREFIX'
  | 'KAFKA_REPLICATION_FACTOR'
  | 'KAFKA_MIN_INSYNC_REPLICAS'
  | 'ANALYTICS_FLUSH_INTERVAL_MS'
  | 'ANALYTICS_MAX_PENDING_BATCHES'
>;

export async function startUsageReporter(
  config: AnalyticsConfig,
  deps: { replicaId: string; metrics: Metrics; logger: Logger },
): Promise<UsageReporter> {
  // A producer of its own with short retries: an attempt fails fast while Kafka is away and the
  // reporter's queue retries later, instead of one send retrying for half a minute.
  const bus = new EventBus({
    brokers: config.KAFKA_BROKERS,
    clientId: 'portico-gateway-usage',
    logger: deps.logger,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 2 },
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 5000,
  });
  const topic = usageTopicName(config.KAFKA_TOPIC_PREFIX);
  const reporter = new UsageReporter({
    replicaId: deps.replicaId,
    topic,
    windowMs: config.ANALYTICS_FLUSH_INTERVAL_MS,
    maxPendingBatches: config.ANALYTICS_MAX_PENDING_BATCHES,
    publisher: await bus.publisher(),
    ensureTopic: async () => {
      await bus.ensureTopics(ownedTopicSpecs('gateway', { prefix: config.KAFKA_TOPIC_PREFIX }), {
        replication: replicationOf(config),
        metrics: deps.metrics,
      });
    },
    metrics: createUsageMetrics(deps.metrics),
    logger: deps.logger,
  });
  reporter.start();
  return reporter;
}
