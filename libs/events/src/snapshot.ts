/**
 * The gateway's read model as the store serves it (GET /internal/read-model) and as a file
 * can provide it (GATEWAY_READ_MODEL_FILE). The gateway loads it, then follows the entity
 * topics from `position`; entity revisions make the overlap harmless.
 */
import { z } from 'zod';
import { apiUpserted, applicationUpserted, subscriptionUpserted, tierUpserted } from './schemas.ts';

export const readModelSnapshot = z.object({
  version: z.literal(1),
  generatedAt: z.iso.datetime({ offset: true }),
  /** Kafka offsets (topic -> partition -> next offset) the snapshot already includes. */
  position: z.record(z.string(), z.record(z.string(), z.string().regex(/^\d+$/))),
  apis: z.array(apiUpserted.shape.data),
  tiers: z.array(tierUpserted.shape.data),
  applications: z.array(applicationUpserted.shape.data),
  subscriptions: z.array(subscriptionUpserted.shape.data),
});
export type ReadModelSnapshot = z.infer<typeof readModelSnapshot>;
