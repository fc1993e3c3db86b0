/**
 * The revocation deny-list, consulted before any cache and again against the facts of every
 * cache hit. Fed by the compacted revocations topic (docs/internal-apis.md "Revocation
 * semantics"). The only transition is valid -> revoked, so applying an event twice or out of
 * order cannot bring a token back.
 *
 * - `token.revoked` denies its token hash (and jti) until the token's own expiry;
 * - `grant.revoked` denies every token carrying that grant id until the given expiry;
 * - `client.tokens_revoked`, `user.tokens_revoked`, `domain.tokens_revoked` deny every token of
 *   that client / user / user-store domain with `iat_ms < revokedBefore` (kept as the latest
 *   cut-off; these never expire by themselves because tokens may never expire).
 */
import type { RevocationEvent } from '@portico/events';
import type { TokenFacts } from '../auth/facts.ts';

const NEVER = Number.POSITIVE_INFINITY;

export class DenyList {
  private readonly hashes = new Map<string, number>();
  private readonly jtis = new Map<string, number>();
  private readonly grants = new Map<string, number>();
  private readonly clients = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly domains = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  apply(event: RevocationEvent): void {
    switch (event.type) {
      case 'token.revoked': {
        const until = expiry(event.data.expiresAt);
        raise(this.hashes, event.data.tokenHash, until);
        if (event.data.jti) raise(this.jtis, event.data.jti, until);
        return;
      }
      case 'grant.revoked':
        raise(this.grants, event.data.grantId, expiry(event.data.expiresAt));
        return;
      case 'client.tokens_revoked':
        raise(this.clients, event.data.clientId, Date.parse(event.data.revokedBefore));
        return;
      case 'user.tokens_revoked':
        raise(
          this.users,
          userKey(event.data.subject, event.data.domain),
          Date.parse(event.data.revokedBefore),
        );
        return;
      case 'domain.tokens_revoked':
        raise(this.domains, event.data.domain.toUpperCase(), Date.parse(event.data.revokedBefore));
        return;
    }
  }

  /** Before any cache: is this exact token revoked? */
  isHashDenied(hash: string): boolean {
    return live(this.hashes.get(hash), this.now());
  }

  /** After validation or a cache hit: does any revocation match these facts? */
  isDenied(hash: string, facts: TokenFacts): boolean {
    const now = this.now();
    if (live(this.hashes.get(hash), now)) return true;
    if (facts.jti && live(this.jtis.get(facts.jti), now)) return true;
    if (facts.grantId && live(this.grants.get(facts.grantId), now)) return true;
    const issued = facts.issuedAtMs;
    const before = (cutoff: number | undefined) => cutoff !== undefined && issued < cutoff;
    if (before(this.clients.get(facts.clientId))) return true;
    if (facts.tokenType !== 'application' && facts.subject !== facts.clientId) {
      // The event names the user by `subject` plus `domain`; the token's `sub` is the canonical
      // DOMAIN/name. Match the canonical form either way round.
      const domain = facts.userStoreDomain ?? domainOf(facts.subject);
      if (before(this.users.get(userKey(facts.subject, domain ?? '')))) return true;
    }
    if (facts.userStoreDomain && before(this.domains.get(facts.userStoreDomain.toUpperCase()))) return true;
    return false;
  }

  /** Drops entries whose tokens have expired anyway. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const map of [this.hashes, this.jtis, this.grants]) {
      for (const [key, until] of map) {
        if (until <= now) {
          map.delete(key);
          removed += 1;
        }
      }
    }
    return removed;
  }

  size(): number {
    return (
      this.hashes.size +
      this.jtis.size +
      this.grants.size +
      this.clients.size +
      this.users.size +
      this.domains.size
    );
  }
}

function expiry(expiresAt: string | null): number {
  return expiresAt === null ? NEVER : Date.parse(expiresAt);
}

function raise(map: Map<string, number>, key: string, value: number): void {
  const current = map.get(key);
  if (current === undefined || value > current) map.set(key, value);
}

function live(until: number | undefined, now: number): boolean {
  return until !== undefined && until > now;
}

function domainOf(subject: string): string | undefined {
  const slash = subject.indexOf('/');
  return slash > 0 ? subject.slice(0, slash) : undefined;
}

/** Canonical user key: `DOMAIN/name` with the domain upper-cased, whether or not `subject` has it. */
function userKey(subject: string, domain: string): string {
  const slash = subject.indexOf('/');
  if (slash > 0) return `${subject.slice(0, slash).toUpperCase()}/${subject.slice(slash + 1)}`;
  return `${domain.toUpperCase()}/${subject}`;
}
