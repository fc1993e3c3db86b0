/**
 * Follows the gateways' usage topic into the ledger (one consumer group for all store replicas:
 * each batch is folded by one of them, and folding twice changes nothing), and runs the
 * roll-up and expiry on a timer. The topic belongs to the gateway: until a gateway has created
 * it, the consumer keeps retrying in the background.
 */
import type { Counter, Logger, Metrics } from '@portico/core';
import { promClient } from '@portico/core';
import type { EventBus } from '@portico/events';
import { usageBatch } from '@portico/events';
import { consumeInBackground } from '../background-consumer.ts';
import type { UsageLedger } from './ledger.ts';

export interface UsageFollower {
  stop(): Promise<void>;
}

export function followUsage(options: {
  bus: Pick<EventBus, 'consume'>;
  topic: string;
  groupId: string;
  ledger: UsageLedger;
  rollupIntervalMs: number;
  logger: Logger;
  metrics: Metrics;
}): UsageFollower {
  const { ledger, logger } = options;
  const batches =
    (options.metrics.registry.getSingleMetric('store_usage_batches_total') as
      | Counter<'result'>
      | undefined) ??
    new promClient.Counter({
      name: 'store_usage_batches_total',
      help: 'Usage batches folded (result=folded) or dropped as older than the minute retention (result=too-old)',
      labelNames: ['result'],
      registers: [options.metrics.registry],
    });
  const consumer = consumeInBackground(
    options.bus,
    {
      groupId: options.groupId,
      topics: [options.topic],
      schema: usageBatch,
      fromBeginning: true,
      handle: async (batch) => {
        const result = await ledger.fold(batch);
        batches.inc({ result });
        if (result === 'too-old')
          logger.warn({ batchId: batch.id }, 'usage batch older than the minute retention dropped');
      },
    },
    logger,
  );

  let rolling = false;
  const timer = setInterval(async () => {
    if (rolling) return;
    rolling = true;
    try {
      await ledger.rollUp();
      await ledger.expire();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'usage roll-up failed, retrying next tick');
    } finally {
      rolling = false;
    }
  }, options.rollupIntervalMs);
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      await consumer.stop();
    },
  };
}
