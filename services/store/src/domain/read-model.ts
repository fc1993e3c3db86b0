/**
 * The gateway's bootstrap snapshot. Consistency without a transaction:
 *   1. read the end offsets of the topics the snapshot covers (apis, applications,
 *      subscriptions) FIRST;
 *   2. then read the collections.
 * Every event below those offsets was published after its change was durable in MongoDB (the
 * outbox publishes only stored changes), so step 2 sees at least that state: the snapshot
 * includes everything before `position`. Changes made after step 1 may be in the snapshot and
 * also on the topics after `position`; revisions make applying them twice harmless. So a
 * gateway that loads the snapshot and follows from `position` misses nothing.
 */
import type { EventBus, ReadModelSnapshot, TopicNames } from '@portico/events';
import { Unavailable } from './errors.ts';
import { apiData, applicationData, subscriptionData, tierData } from './events.ts';
import type { ApiDoc, ApplicationDoc, StoreModels, SubscriptionDoc, TierDoc } from './models.ts';

/** Where the topics end now: topic → partition → next offset. */
export interface OffsetReader {
  endOffsets(topics: string[]): Promise<Record<string, Record<string, string>>>;
}

export function kafkaOffsetReader(bus: EventBus, timeoutMs = 5000): OffsetReader {
  return {
    async endOffsets(topics) {
      const read = bus.admin(async (admin) => {
        const out: Record<string, Record<string, string>> = {};
        for (const topic of topics) {
          out[topic] = {};
          for (const p of await admin.fetchTopicOffsets(topic)) out[topic][String(p.partition)] = p.high;
        }
        return out;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out reading topic offsets')), timeoutMs);
      });
      try {
        return await Promise.race([read, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export async function buildReadModel(
  models: StoreModels,
  offsets: OffsetReader,
  topics: TopicNames,
): Promise<ReadModelSnapshot> {
  let position: ReadModelSnapshot['position'];
  try {
    position = await offsets.endOffsets([topics.apis, topics.applications, topics.subscriptions]);
  } catch (err) {
    // Without a position the gateway could not follow without a gap: say so, do not guess.
    throw new Unavailable('Kafka is unavailable: cannot give a snapshot position', err);
  }
  const live = { deleted: false };
  const [apis, tiers, applications, subscriptions] = await Promise.all([
    models.apis.collection.find(live).toArray() as unknown as Promise<ApiDoc[]>,
    models.tiers.collection.find(live).toArray() as unknown as Promise<TierDoc[]>,
    models.applications.collection.find({ deleted: false, deleting: false }).toArray() as unknown as Promise<
      ApplicationDoc[]
    >,
    models.subscriptions.collection.find(live).toArray() as unknown as Promise<SubscriptionDoc[]>,
  ]);
  const liveApps = new Set(applications.map((a) => a._id));
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    position,
    apis: apis.map(apiData),
    tiers: tiers.map(tierData),
    applications: applications.map(applicationData),
    subscriptions: subscriptions.filter((s) => liveApps.has(s.applicationId)).map(subscriptionData),
  };
}
