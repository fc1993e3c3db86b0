/**
 * Ends the portal sessions of users the key-manager disabled, locked, re-passworded or deleted:
 * it follows the revocations topic (every store replica reads all of it, like a gateway) and
 * deletes the sessions of that user (`user.tokens_revoked`) or user-store domain
 * (`domain.tokens_revoked`) created before the revocation. Sessions live in MongoDB, so one
 * replica's deletion ends the session on every replica. Replaying the topic from the start is
 * harmless: sessions created after a revocation are kept.
 */
import type { Logger } from '@portico/core';
import type { EventBus } from '@portico/events';
import { revocationEvent } from '@portico/events';
import type { BackgroundConsumer } from '../background-consumer.ts';
import { consumeInBackground } from '../background-consumer.ts';
import type { SessionStore } from './sessions.ts';

export function followUserRevocations(options: {
  bus: Pick<EventBus, 'consume'>;
  topic: string;
  sessions: SessionStore;
  logger: Logger;
}): BackgroundConsumer {
  const { sessions, logger } = options;
  return consumeInBackground(
    options.bus,
    {
      broadcast: true,
      topics: [options.topic],
      schema: revocationEvent,
      handle: async (event) => {
        if (event.type === 'user.tokens_revoked') {
          const ended = await sessions.endFor(
            { subject: event.data.subject },
            new Date(event.data.revokedBefore),
          );
          if (ended > 0)
            logger.info({ subject: event.data.subject, ended }, 'sessions of a revoked user ended');
        } else if (event.type === 'domain.tokens_revoked') {
          const ended = await sessions.endFor(
            { domain: event.data.domain },
            new Date(event.data.revokedBefore),
          );
          if (ended > 0)
            logger.info({ domain: event.data.domain, ended }, 'sessions of a revoked domain ended');
        }
      },
    },
    logger,
  );
}
