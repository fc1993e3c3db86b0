/**
 * Tier rate limits with GCRA (generic cell rate algorithm, a virtual-scheduling token bucket).
 * A tier of `requests` per `unitSeconds` with `burst` gives an emission interval
 * T = unitSeconds / requests and a bucket of `burst ?? requests` cells. Each limit keeps one
 * number in Redis (the theoretical arrival time, TAT).
 *
 * All limits of a request (subscription tier and application tier) are checked and charged in
 * one Lua script, atomically, on Redis's own clock (TIME): replicas share exact state, so the
 * cross-replica error is zero while Redis answers, and a request refused by one limit does not
 * consume the other. Bound (docs/adr/0033): over any interval of length t, at most
 * `burst + t / T` requests are admitted.
 */
import type { RedisClient } from '../redis.ts';

export interface LimitSpec {
  key: string;
  /** Emission interval in ms (unitSeconds * 1000 / requests). */
  intervalMs: number;
  /** Bucket size in requests. */
  capacity: number;
}

export interface LimitState {
  remaining: number;
  /** ms until the bucket is full again. */
  resetMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** ms until the request would be admitted (0 when allowed). */
  retryAfterMs: number;
  /** Index of the limit that refused (or -1). */
  refusedBy: number;
  states: LimitState[];
}

export interface RateLimitStore {
  take(limits: LimitSpec[]): Promise<RateDecision>;
}

const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local tats = {}
local allowed = 1
local retry = 0
local refused = -1
for i = 1, n do
  local T = tonumber(ARGV[2 * i - 1])
  local cap = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local allowAt = tat + T - cap * T
  if allowAt > now then
    allowed = 0
    if allowAt - now > retry then
      retry = allowAt - now
      refused = i - 1
    end
  end
end
local out = { allowed, math.ceil(retry), refused }
for i = 1, n do
  local T = tonumber(ARGV[2 * i - 1])
  local cap = tonumber(ARGV[2 * i])
  local tat = tats[i]
  if allowed == 1 then
    tat = tat + T
    redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1)
  end
  local remaining = math.floor((now + cap * T - tat) / T)
  if remaining < 0 then remaining = 0 end
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(tat - now)
end
return out
`;

// KEYS must share one Cluster slot (ratelimit/keys.ts); the script is otherwise the same on one
// server, Sentinel and Cluster (EVALSHA, EVAL again after NOSCRIPT on a promoted replica).
type GcraRedis = RedisClient & {
  porticoGcra(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
};

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: GcraRedis;

  constructor(redis: RedisClient) {
    if (!('porticoGcra' in redis)) redis.defineCommand('porticoGcra', { lua: GCRA });
    this.redis = redis as GcraRedis;
  }

  async take(limits: LimitSpec[]): Promise<RateDecision> {
    const args: Array<string | number> = limits.map((l) => l.key);
    for (const l of limits) args.push(l.intervalMs, l.capacity);
    const out = await this.redis.porticoGcra(limits.length, ...args);
    return decode(out.map(Number), limits.length);
  }
}

function decode(out: number[], n: number): RateDecision {
  const states: LimitState[] = [];
  for (let i = 0; i < n; i += 1)
    states.push({ remaining: out[3 + 2 * i] ?? 0, resetMs: out[4 + 2 * i] ?? 0 });
  return { allowed: out[0] === 1, retryAfterMs: out[1] ?? 0, refusedBy: out[2] ?? -1, states };
}

/** In-memory twin: the same algorithm on the local clock. `down` simulates an outage. */
export class InMemoryRateLimitStore implements RateLimitStore {
  private readonly tats = new Map<string, number>();
  down = false;
  now: () => number = Date.now;

  async take(limits: LimitSpec[]): Promise<RateDecision> {
    if (this.down) throw new Error('rate-limit twin is down');
    const now = this.now();
    const tats = limits.map((l) => Math.max(this.tats.get(l.key) ?? now, now));
    let allowed = true;
    let retry = 0;
    let refusedBy = -1;
    limits.forEach((l, i) => {
      const allowAt = (tats[i] ?? now) + l.intervalMs - l.capacity * l.intervalMs;
      if (allowAt > now) {
        allowed = false;
        if (allowAt - now > retry) {
          retry = allowAt - now;
          refusedBy = i;
        }
      }
    });
    const states = limits.map((l, i) => {
      let tat = tats[i] ?? now;
      if (allowed) {
        tat += l.intervalMs;
        this.tats.set(l.key, tat);
      }
      return {
        remaining: Math.max(0, Math.floor((now + l.capacity * l.intervalMs - tat) / l.intervalMs)),
        resetMs: Math.ceil(tat - now),
      };
    });
    return { allowed, retryAfterMs: Math.ceil(retry), refusedBy, states };
  }
}
