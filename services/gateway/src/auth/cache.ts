/**
 * The two cache levels of token validation results, keyed by the token hash (never the token).
 * Level 1: in-process LRU (`lru-cache`), synchronous. Level 2: Redis, shared by the replicas,
 * behind the `SharedTokenCache` port (Redis implementation + in-memory twin). A level-2 failure
 * is a miss, never an error for the caller.
 */
import type { Redis } from 'ioredis';
import type { InvalidCode, TokenFacts } from './facts.ts';

export type CachedValidation = { valid: true; facts: TokenFacts } | { valid: false; code: InvalidCode };

/** A cached result with the epoch ms at which the entry ends (so level 1 inherits the rest). */
export interface CacheEntry {
  result: CachedValidation;
  until: number;
}

export interface SharedTokenCache {
  get(hash: string): Promise<CacheEntry | undefined>;
  set(hash: string, entry: CacheEntry): Promise<void>;
  delete(hash: string): Promise<void>;
}

export class RedisTokenCache implements SharedTokenCache {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = `${prefix}tok:`;
  }

  async get(hash: string): Promise<CacheEntry | undefined> {
    const raw = await this.redis.get(this.prefix + hash);
    if (raw === null) return undefined;
    try {
      const entry = JSON.parse(raw) as CacheEntry;
      return typeof entry.until === 'number' && entry.result ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async set(hash: string, entry: CacheEntry): Promise<void> {
    const ttl = Math.floor(entry.until - Date.now());
    if (ttl <= 0) return;
    await this.redis.set(this.prefix + hash, JSON.stringify(entry), 'PX', ttl);
  }

  async delete(hash: string): Promise<void> {
    await this.redis.del(this.prefix + hash);
  }
}

/** In-memory twin of level 2; `down` makes every call fail like an unreachable Redis. */
export class InMemoryTokenCache implements SharedTokenCache {
  readonly entries = new Map<string, CacheEntry>();
  down = false;

  async get(hash: string): Promise<CacheEntry | undefined> {
    this.check();
    const entry = this.entries.get(hash);
    if (entry && entry.until <= Date.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry;
  }

  async set(hash: string, entry: CacheEntry): Promise<void> {
    this.check();
    this.entries.set(hash, entry);
  }

  async delete(hash: string): Promise<void> {
    this.check();
    this.entries.delete(hash);
  }

  private check(): void {
    if (this.down) throw new Error('cache twin is down');
  }
}
