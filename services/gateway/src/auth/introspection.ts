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
}

export class HttpIntrospector implements TokenIntrospector {
  private readonly options: HttpIntrospectorOptions;
  private readonly authorization: string;

  constructor(options: HttpIntrospectorOptions) {
    this.options = options;
    // RFC 6749 §2.3.1: form-encode id and secret before base64.
    const id = encodeURIComponent(options.clientId);
    const secret = encodeURIComponent(options.clientSecret);
    this.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }

  async introspect(token: string): Promise<IntrospectionAnswer> {
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
        signal: AbortSignal.timeout(this.options.timeoutMs),
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
