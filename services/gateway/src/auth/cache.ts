/**
 * The two cache levels of token validation results, keyed by the token hash (never the token).
 * Level 1: in-process LRU (`lru-cache`), synchronous. Level 2: Redis, shared by the replicas,
 * behind the `SharedTokenCache` port (Redis implementation + in-memory twin). A level-2 failure
 * is a miss, never an error for the caller. Level-2 entries carry a MAC (auth/integrity.ts): one
 * that does not verify is a miss, reported to `onTampered`.
 */
import type { Logger } from '@portico/core';
import type { RedisClient } from '../redis.ts';
import type { InvalidCode, TokenFacts } from './facts.ts';
import { CacheIntegrity } from './integrity.ts';

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

/**
 * The Redis key of a token hash: one key per entry, so any Cluster slot will do. `tok3`: sealed
 * entries that say whether the token is DPoP-bound; older replicas' entries (`tok:`, `tok2:`,
 * without that fact) are never read, so a bound token can never pass as a bearer one.
 */
export function tokenCacheKey(prefix: string, hash: string): string {
  return `${prefix}tok3:${hash}`;
}

export class RedisTokenCache implements SharedTokenCache {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly integrity: CacheIntegrity;
  private readonly onTampered: () => void;

  constructor(
    redis: RedisClient,
    prefix: string,
    integrity: CacheIntegrity,
    onTampered: () => void = () => {},
  ) {
    this.redis = redis;
    this.prefix = prefix;
    this.integrity = integrity;
    this.onTampered = onTampered;
  }

  keyOf(hash: string): string {
    return tokenCacheKey(this.prefix, hash);
  }

  async get(hash: string): Promise<CacheEntry | undefined> {
    const key = this.keyOf(hash);
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    const payload = this.integrity.open(key, raw);
    if (payload === undefined) {
      this.onTampered();
      return undefined;
    }
    try {
      const entry = JSON.parse(payload) as CacheEntry;
      return typeof entry.until === 'number' && entry.result ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async set(hash: string, entry: CacheEntry): Promise<void> {
    const ttl = Math.floor(entry.until - Date.now());
    if (ttl <= 0) return;
    const key = this.keyOf(hash);
    await this.redis.set(key, this.integrity.seal(key, JSON.stringify(entry)), 'PX', ttl);
  }

  async delete(hash: string): Promise<void> {
    await this.redis.del(this.keyOf(hash));
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

/**
 * The level-2 cache of a replica: sealed with CACHE_INTEGRITY_KEY. Without one (never in
 * production, config.ts) each replica seals with its own random key, so replicas do not share
 * entries: a warning says so.
 */
export function sharedTokenCache(
  redis: RedisClient,
  config: { REDIS_KEY_PREFIX: string; CACHE_INTEGRITY_KEY: string },
  onTampered: () => void,
  logger: Logger,
): RedisTokenCache {
  const integrity = new CacheIntegrity(config.CACHE_INTEGRITY_KEY);
  if (integrity.ephemeral)
    logger.warn(
      'CACHE_INTEGRITY_KEY is not set: this replica seals its Redis cache entries with a random key (replicas share no level-2 entries)',
    );
  return new RedisTokenCache(redis, config.REDIS_KEY_PREFIX, integrity, onTampered);
}
