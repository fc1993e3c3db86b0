/**
 * Follows the compacted revocations topic as a broadcast consumer (every replica sees every
 * event, from the beginning) and applies each event to the deny-list, then evicts the caches.
 * `caughtUp` resolves once everything that existed at start has been applied: until then the
 * gateway is not ready and answers 503 to token-bearing requests.
 */
import type { Logger } from '@portico/core';
import type { EventBus, RevocationEvent, RunningConsumer } from '@portico/events';
import { revocationEvent } from '@portico/events';
import type { TokenValidator } from '../auth/validator.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { DenyList } from './denylist.ts';

export interface RevocationFollowerOptions {
  bus: EventBus;
  topic: string;
  denyList: DenyList;
  validator: TokenValidator;
  metrics: GatewayMetrics;
  replica: string;
  logger: Logger;
}

function applyRevocation(
  event: RevocationEvent,
  denyList: DenyList,
  validator: TokenValidator,
): Promise<void> | undefined {
  denyList.apply(event);
  if (event.type === 'token.revoked') return validator.evict(event.data.tokenHash);
  // Bulk revocations name no token hash: drop the level-1 entries they now deny.
  validator.evictMatching((hash, facts) => denyList.isDenied(hash, facts));
  return undefined;
}

export async function followRevocations(options: RevocationFollowerOptions): Promise<RunningConsumer> {
  const { denyList, validator, metrics, replica } = options;
  return options.bus.consume({
    broadcast: true,
    topics: [options.topic],
    schema: revocationEvent,
    handle: async (event) => {
      await applyRevocation(event, denyList, validator);
      metrics.revocationsApplied.inc({ type: event.type });
      const lag = (Date.now() - Date.parse(event.occurredAt)) / 1000;
      metrics.revocationLag.observe({ replica }, Math.max(0, lag));
      options.logger.debug({ type: event.type, eventId: event.id, lagSeconds: lag }, 'revocation applied');
    },
  });
}
