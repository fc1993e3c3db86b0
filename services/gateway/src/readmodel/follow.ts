/**
 * Keeps the read model current: a broadcast consumer of the clients, applications,
 * subscriptions and apis topics. Revisions make the overlap with the snapshot harmless.
 */
import type { Logger } from '@portico/core';
import type { EventBus, RunningConsumer, TopicNames } from '@portico/events';
import { applicationEvent, catalogEvent, clientEvent, subscriptionEvent } from '@portico/events';
import { z } from 'zod';
import type { EntityEvent, ReadModel } from './model.ts';

const entityEvent = z.union([catalogEvent, applicationEvent, subscriptionEvent, clientEvent]);

export async function followEntities(
  bus: EventBus,
  topics: TopicNames,
  model: ReadModel,
  logger: Logger,
): Promise<RunningConsumer> {
  return bus.consume<EntityEvent>({
    broadcast: true,
    topics: [topics.apis, topics.applications, topics.subscriptions, topics.clients],
    schema: entityEvent as z.ZodType<EntityEvent>,
    handle: (event) => {
      model.apply(event);
      logger.debug({ type: event.type, eventId: event.id }, 'read model event applied');
    },
  });
}
