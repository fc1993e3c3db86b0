/**
 * User-store domains, canonical user names and token partitions.
 * - Domains are normalized once (trimmed, upper case); `PRIMARY` always exists.
 * - A canonical name is `DOMAIN/name`. A bare `name` means PRIMARY. The name part may not contain
 *   `/`, so a username can never select another domain's store.
 * - Partitions: `A:PARTNERS.EXAMPLE.COM` puts the tokens of that domain's users in the `A`
 *   collections. The partition is written into the token value (`A~<random>`) so that a lookup
 *   goes to exactly one partition without a scan. Application tokens and unmapped domains use
 *   the default partition (no prefix).
 */
export const PRIMARY = 'PRIMARY';
const DOMAIN = /^[A-Z0-9][A-Z0-9._-]{0,252}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const PARTITION = /^[A-Za-z0-9]{1,16}$/;
const PARTITION_SEPARATOR = '~';

export function normalizeDomain(raw: string): string | undefined {
  const d = raw.trim().toUpperCase();
  return DOMAIN.test(d) ? d : undefined;
}

export interface UserName {
  domain: string;
  name: string;
  /** DOMAIN/name */
  canonical: string;
}

/** Parses `DOMAIN/name` or `name` (PRIMARY); undefined when malformed or the domain is unknown. */
export function parseUserName(raw: string, domains: ReadonlySet<string>): UserName | undefined {
  if (typeof raw !== 'string' || raw.length > 400) return undefined;
  const slash = raw.indexOf('/');
  const domain = slash === -1 ? PRIMARY : normalizeDomain(raw.slice(0, slash));
  const name = slash === -1 ? raw : raw.slice(slash + 1);
  if (!domain || !domains.has(domain) || !NAME.test(name)) return undefined;
  return { domain, name, canonical: `${domain}/${name}` };
}

export function domainOfSubject(subject: string | undefined): string | undefined {
  if (!subject) return undefined;
  const slash = subject.indexOf('/');
  return slash > 0 ? subject.slice(0, slash) : undefined;
}

export class Partitions {
  private readonly byDomain = new Map<string, string>();
  readonly names: string[] = [];

  constructor(entries: string[], knownDomains: ReadonlySet<string>) {
    for (const entry of entries) {
      const i = entry.indexOf(':');
      const partition = entry.slice(0, i);
      const domain = normalizeDomain(entry.slice(i + 1));
      if (i <= 0 || !PARTITION.test(partition) || !domain) {
        throw new Error(`TOKEN_PARTITIONS: bad entry ${JSON.stringify(entry)} (expected P:DOMAIN)`);
      }
      if (!knownDomains.has(domain)) throw new Error(`TOKEN_PARTITIONS: unknown user-store domain ${domain}`);
      if (this.byDomain.has(domain)) throw new Error(`TOKEN_PARTITIONS: domain ${domain} mapped twice`);
      this.byDomain.set(domain, partition);
      if (!this.names.includes(partition)) this.names.push(partition);
    }
  }

  /** Partition of a user-store domain; undefined = the default partition. */
  forDomain(domain: string | undefined): string | undefined {
    return domain ? this.byDomain.get(domain) : undefined;
  }

  /** Adds the partition prefix to a freshly generated token id. */
  prefix(id: string, domain: string | undefined): string {
    const p = this.forDomain(domain);
    return p ? `${p}${PARTITION_SEPARATOR}${id}` : id;
  }

  /** The partition a token value points to; undefined = default, null = malformed/unknown. */
  ofToken(value: string): string | undefined | null {
    const i = value.indexOf(PARTITION_SEPARATOR);
    if (i === -1) return undefined;
    const p = value.slice(0, i);
    return this.names.includes(p) ? p : null;
  }
}
