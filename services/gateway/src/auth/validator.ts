/**
 * Token validation with the deny-list and the two cache levels. Order, per request:
 *   1. shape check (bounded length, token68 characters) -> malformed;
 *   2. deny-list by token hash, before any cache -> revoked;
 *   3. level 1 (in-process LRU): a hit answers synchronously-fast, without awaiting Redis or
 *      the key-manager; the deny-list is checked again against the cached facts;
 *   4. level 2 (Redis, bounded by its command timeout; an error is a miss);
 *   5. the source: local JWT validation with the JWKS, or introspection for opaque tokens,
 *      one in flight per token hash; the result is cached in both levels with
 *      TTL = min(configured, exp - now), negative results for the short negative TTL.
 * A source that cannot answer throws `VerificationUnavailable` (-> 503) and nothing is cached.
 */
import { LRUCache } from 'lru-cache';
import type { DenyList } from '../revocation/denylist.ts';
import type { CachedValidation, CacheEntry, SharedTokenCache } from './cache.ts';
import type { TokenFacts, Validation, ValidationSource } from './facts.ts';
import { factsFromClaims, looksLikeJwt, tokenHash } from './facts.ts';
import type { TokenIntrospector } from './introspection.ts';
import type { JwtVerifier } from './jwt.ts';

const TOKEN_SHAPE = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

export interface ValidatorObserver {
  cacheLookup(level: 'l1' | 'l2', hit: boolean): void;
  validated(source: ValidationSource, outcome: string): void;
  cacheError(op: string, err: unknown): void;
}

export interface TokenValidatorOptions {
  denyList: DenyList;
  shared: SharedTokenCache;
  introspector: TokenIntrospector;
  jwt: JwtVerifier;
  ttlSeconds: number;
  negativeTtlSeconds: number;
  maxEntries: number;
  observer?: ValidatorObserver;
  now?: () => number;
}

export class TokenValidator {
  private readonly options: TokenValidatorOptions;
  private readonly local: LRUCache<string, CacheEntry>;
  private readonly inFlight = new Map<string, Promise<CachedValidation>>();
  private readonly now: () => number;

  constructor(options: TokenValidatorOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.local = new LRUCache<string, CacheEntry>({ max: options.maxEntries });
  }

  async validate(token: string): Promise<Validation> {
    return this.check(token);
  }

  /**
   * Like `validate`, but answers synchronously when it can (malformed, deny-listed, level-1
   * hit): the request path then takes no promise hop at all. Only a level-1 miss returns a
   * promise (Redis, then the source).
   */
  check(token: string): Validation | Promise<Validation> {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token))
      return this.done({ valid: false, code: 'malformed' }, 'l1', '');
    const hash = tokenHash(token);
    const deny = this.options.denyList;
    if (deny.isHashDenied(hash)) return this.done({ valid: false, code: 'revoked' }, 'deny-list', hash);

    const l1 = this.fromLocal(hash);
    this.options.observer?.cacheLookup('l1', l1 !== undefined);
    if (l1) return this.done(this.recheck(hash, l1.result), 'l1', hash);
    return this.afterLocalMiss(hash, token);
  }

  private async afterLocalMiss(hash: string, token: string): Promise<Validation> {
    const l2 = await this.fromShared(hash);
    if (l2) {
      this.local.set(hash, l2, { ttl: Math.max(1, l2.until - this.now()) });
      return this.done(this.recheck(hash, l2.result), 'l2', hash);
    }

    let pending = this.inFlight.get(hash);
    if (!pending) {
      pending = this.fromSource(hash, token).finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    const result = await pending;
    return this.done(this.recheck(hash, result), looksLikeJwt(token) ? 'jwt' : 'introspection', hash);
  }

  /** A revocation of this exact token: drop it from both levels. */
  async evict(hash: string): Promise<void> {
    this.local.delete(hash);
    await this.options.shared
      .delete(hash)
      .catch((err: unknown) => this.options.observer?.cacheError('del', err));
  }

  /** A bulk revocation: drop matching level-1 entries (level 2 entries are re-checked on read). */
  evictMatching(denied: (hash: string, facts: TokenFacts) => boolean): number {
    const matching: string[] = [];
    for (const [hash, entry] of this.local.entries()) {
      if (entry.result.valid && denied(hash, entry.result.facts)) matching.push(hash);
    }
    for (const hash of matching) this.local.delete(hash);
    return matching.length;
  }

  private done(result: CachedValidation, source: ValidationSource, hash: string): Validation {
    this.options.observer?.validated(source, result.valid ? 'valid' : result.code);
    return result.valid
      ? { valid: true, facts: result.facts, source, tokenHash: hash }
      : { valid: false, code: result.code, source };
  }

  /** Cached facts are re-checked against the deny-list and their own expiry on every hit. */
  private recheck(hash: string, result: CachedValidation): CachedValidation {
    if (!result.valid) return result;
    if (this.options.denyList.isDenied(hash, result.facts)) return { valid: false, code: 'revoked' };
    if (result.facts.exp !== null && result.facts.exp * 1000 <= this.now())
      return { valid: false, code: 'expired' };
    return result;
  }

  private fromLocal(hash: string): CacheEntry | undefined {
    const entry = this.local.get(hash);
    if (entry && entry.until <= this.now()) {
      this.local.delete(hash);
      return undefined;
    }
    return entry;
  }

  private async fromShared(hash: string): Promise<CacheEntry | undefined> {
    try {
      const entry = await this.options.shared.get(hash);
      const hit = entry !== undefined && entry.until > this.now();
      this.options.observer?.cacheLookup('l2', hit);
      return hit ? entry : undefined;
    } catch (err) {
      this.options.observer?.cacheError('get', err);
      return undefined;
    }
  }

  private async fromSource(hash: string, token: string): Promise<CachedValidation> {
    let result: CachedValidation;
    if (looksLikeJwt(token)) {
      result = await this.options.jwt.verify(token);
    } else {
      const answer = await this.options.introspector.introspect(token);
      if (!answer.active) result = { valid: false, code: 'unknown' };
      else {
        const facts = factsFromClaims(answer, 'opaque');
        result = facts ? { valid: true, facts } : { valid: false, code: 'invalid' };
      }
    }
    this.store(hash, result);
    return result;
  }

  private store(hash: string, result: CachedValidation): void {
    const now = this.now();
    let ttlMs: number;
    if (result.valid) {
      ttlMs = this.options.ttlSeconds * 1000;
      if (result.facts.exp !== null) ttlMs = Math.min(ttlMs, result.facts.exp * 1000 - now);
    } else {
      ttlMs = this.options.negativeTtlSeconds * 1000;
    }
    if (ttlMs <= 0) return;
    const entry: CacheEntry = { result, until: now + ttlMs };
    this.local.set(hash, entry, { ttl: ttlMs });
    // Level 2 is written in the background: the answer never waits for Redis.
    this.options.shared
      .set(hash, entry)
      .catch((err: unknown) => this.options.observer?.cacheError('set', err));
  }
}
