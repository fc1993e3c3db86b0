import type { HealthCheck } from '@portico/core';
import type { EventBus } from './kafka.ts';

/**
 * Kafka reachability for /readyz: a metadata round trip, cached briefly so that frequent
 * probes do not open a connection each time.
 */
export function kafkaHealth(bus: EventBus, cacheMs = 3000): HealthCheck {
  let last: { at: number; error: string | undefined } | undefined;
  let inFlight: Promise<void> | undefined;
  return {
    name: 'kafka',
    async check() {
      if (!last || Date.now() - last.at > cacheMs) {
        inFlight ??= bus
          .admin((admin) => admin.describeCluster())
          .then(
            () => {
              last = { at: Date.now(), error: undefined };
            },
            (err: Error) => {
              last = { at: Date.now(), error: err.message };
            },
          )
          .finally(() => {
            inFlight = undefined;
          });
        await inFlight;
      }
      if (last?.error) throw new Error(`unreachable: ${last.error}`);
    },
  };
}
