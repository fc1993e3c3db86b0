/**
 * The token-introspection port (RFC 7662) and its two implementations: HTTP against the
 * key-manager with the gateway's client credentials, and an in-memory twin for tests.
 * A transport failure, timeout, 5xx or unexpected answer is `VerificationUnavailable`:
 * the gateway then answers 503, never 401.
 */
import { VerificationUnavailable } from './facts.ts';

export type IntrospectionAnswer = { active: false } | ({ active: true } & Record<string, unknown>);

export interface TokenIntrospector {
  introspect(token: string): Promise<IntrospectionAnswer>;
}

export interface HttpIntrospectorOptions {
  /** Full URL of the introspection endpoint. */
  endpoint: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  /**
   * Most introspection calls in flight at once. Unknown tokens each cost a call, so a flood of
   * garbage tokens must not become a flood at the key-manager: callers beyond the cap wait for a
   * slot within the same timeout, then get `VerificationUnavailable` (503).
   */
  maxConcurrency: number;
}

/** A counting semaphore whose waiters give up after a deadline. */
class Slots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(timeoutMs: number): Promise<boolean> {
    if (this.free > 0) {
      this.free -= 1;
      return true;
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(grant);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }
}

export class HttpIntrospector implements TokenIntrospector {
  private readonly options: HttpIntrospectorOptions;
  private readonly authorization: string;
  private readonly slots: Slots;

  constructor(options: HttpIntrospectorOptions) {
    this.options = options;
    this.slots = new Slots(options.maxConcurrency);
    // RFC 6749 §2.3.1: form-encode id and secret before base64.
    const id = encodeURIComponent(options.clientId);
    const secret = encodeURIComponent(options.clientSecret);
    this.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }

  async introspect(token: string): Promise<IntrospectionAnswer> {
    const started = Date.now();
    if (!(await this.slots.acquire(this.options.timeoutMs))) {
      throw new VerificationUnavailable('introspection: too many calls in flight');
    }
    try {
      return await this.call(token, Math.max(1, this.options.timeoutMs - (Date.now() - started)));
    } finally {
      this.slots.release();
    }
  }

  private async call(token: string, timeoutMs: number): Promise<IntrospectionAnswer> {
    let res: Response;
    try {
      res = await fetch(this.options.endpoint, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new VerificationUnavailable(`introspection unreachable: ${(err as Error).message}`, err);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new VerificationUnavailable(`introspection answered HTTP ${res.status}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new VerificationUnavailable('introspection answer is not JSON', err);
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { active?: unknown }).active !== 'boolean'
    ) {
      throw new VerificationUnavailable('introspection answer has no boolean `active`');
    }
    const answer = body as { active: boolean } & Record<string, unknown>;
    return answer.active ? (answer as IntrospectionAnswer) : { active: false };
  }
}

/** In-memory twin: tokens registered with their claims; `down` simulates an outage. */
export class InMemoryIntrospector implements TokenIntrospector {
  private readonly tokens = new Map<string, Record<string, unknown>>();
  down = false;
  calls = 0;

  register(token: string, claims: Record<string, unknown>): void {
    this.tokens.set(token, claims);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  async introspect(token: string): Promise<IntrospectionAnswer> {
    this.calls += 1;
    if (this.down) throw new VerificationUnavailable('introspection unreachable: twin is down');
    const claims = this.tokens.get(token);
    if (!claims) return { active: false };
    const exp = claims['exp'];
    if (typeof exp === 'number' && exp * 1000 <= Date.now()) return { active: false };
    return { active: true, ...claims };
  }
}
