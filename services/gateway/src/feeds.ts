/**
 * The two streams the gateway follows: the revocations topic (into the deny-list) and the entity
 * topics (into the read model). main.ts follows them on Kafka; a test may hand in its own.
 */
import type { Logger } from '@portico/core';
import type { EventBus, RunningConsumer, TopicNames } from '@portico/events';
import { followEntities } from './readmodel/follow.ts';
import type { ReadModel } from './readmodel/model.ts';
import type { RevocationFollowerOptions } from './revocation/consumer.ts';
import { followRevocations } from './revocation/consumer.ts';

export type RevocationSink = Omit<RevocationFollowerOptions, 'bus' | 'topic'>;

export interface GatewayFeeds {
  revocations(sink: RevocationSink): Promise<RunningConsumer>;
  entities(model: ReadModel, logger: Logger): Promise<RunningConsumer>;
}

export function kafkaFeeds(bus: EventBus, topics: TopicNames): GatewayFeeds {
  return {
    revocations: (sink) => followRevocations({ ...sink, bus, topic: topics.revocations }),
    entities: (model, logger) => followEntities(bus, topics, model, logger),
  };
}
