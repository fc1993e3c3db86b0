/** Where DPoP proof ids are remembered: Redis, shared by every replica (SET NX with expiry). */
import type { ProofReplayStore } from './dpop.ts';

interface RedisSet {
  set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<string | null>;
}

export function redisProofReplayStore(redis: RedisSet, prefix: string): ProofReplayStore {
  return {
    // One key per proof: any Cluster slot will do.
    async firstUse(id, ttlSeconds) {
      return (await redis.set(`${prefix}dpop:${id}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}

/** In-memory twin for single-process tests (it cannot see other replicas). */
export class InMemoryProofReplayStore implements ProofReplayStore {
  private readonly seen = new Map<string, number>();
  async firstUse(id: string, ttlSeconds: number): Promise<boolean> {
    const now = Date.now();
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
    if (this.seen.has(id)) return false;
    this.seen.set(id, now + ttlSeconds * 1000);
    return true;
  }
}
