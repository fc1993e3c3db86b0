/**
 * A Kafka consumer the store starts in the background and retries until its topic can be read
 * (the topics it follows belong to other services, which create them). stop() ends it either way.
 */
import type { Logger } from '@portico/core';
import type { ConsumerOptions, EventBus, RunningConsumer } from '@portico/events';

export interface BackgroundConsumer {
  stop(): Promise<void>;
}

export function consumeInBackground<E>(
  bus: Pick<EventBus, 'consume'>,
  options: ConsumerOptions<E>,
  logger: Logger,
): BackgroundConsumer {
  let consumer: RunningConsumer | undefined;
  let stopped = false;
  const started = (async () => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        consumer = await bus.consume(options);
        if (stopped) await consumer.stop();
        return;
      } catch (err) {
        logger.info(
          { topics: options.topics, attempt, err: (err as Error).message },
          'topic not readable yet, retrying',
        );
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)).unref());
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      // An attempt still inside kafkajs's own retries (up to ~10 s while the topic is missing)
      // must not hold the shutdown: it stops the consumer itself when it ends (see above).
      await Promise.race([started, new Promise((r) => setTimeout(r, 1000).unref())]);
      await consumer?.stop();
    },
  };
}
