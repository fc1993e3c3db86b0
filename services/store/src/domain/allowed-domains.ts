/**
 * Allowed domains of an application key (WSO2 API Manager's "Allowed Domains"):
 *   - empty list or the single entry `ALL` means any domain (stored as an empty list);
 *   - otherwise each entry is a host name (`app.example.com`) or a wildcard `*.example.com`
 *     matching any sub-domain at any depth (not the apex itself);
 *   - entries are normalized: trimmed, lower-cased, a trailing dot removed, IDNs in punycode,
 *     duplicates dropped. Schemes, ports, paths, IP literals other than plain IPv4 and
 *     wildcards elsewhere than the first label are rejected with a message naming the entry.
 */
import { domainToASCII } from 'node:url';

export type DomainCheck = { ok: true; domains: string[] } | { ok: false; problems: string[] };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const MAX_ALLOWED_DOMAINS = 100;

export function normalizeAllowedDomains(input: readonly string[]): DomainCheck {
  const trimmed = input.map((d) => d.trim()).filter((d) => d !== '');
  if (trimmed.length === 0) return { ok: true, domains: [] };
  if (trimmed.some((d) => d.toUpperCase() === 'ALL')) {
    if (trimmed.length > 1) return { ok: false, problems: ['"ALL" cannot be combined with other domains'] };
    return { ok: true, domains: [] };
  }
  if (trimmed.length > MAX_ALLOWED_DOMAINS) {
    return { ok: false, problems: [`at most ${MAX_ALLOWED_DOMAINS} allowed domains`] };
  }
  const problems: string[] = [];
  const out = new Set<string>();
  for (const raw of trimmed) {
    const result = normalizeOne(raw);
    if (typeof result === 'string') out.add(result);
    else problems.push(`"${raw.slice(0, 80)}": ${result.problem}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, domains: [...out] };
}

function normalizeOne(raw: string): string | { problem: string } {
  if (/[/:@?#\s\\]/.test(raw)) {
    return { problem: 'expected a host name such as app.example.com (no scheme, port or path)' };
  }
  let host = raw.toLowerCase().replace(/\.$/, '');
  let wildcard = false;
  if (host.startsWith('*.')) {
    wildcard = true;
    host = host.slice(2);
  }
  if (host.includes('*')) return { problem: 'a wildcard is only allowed as the first label (*.example.com)' };
  if (IPV4.test(host)) {
    return wildcard ? { problem: 'a wildcard cannot apply to an IP address' } : host;
  }
  const ascii = domainToASCII(host);
  if (ascii === '' || ascii.length > 253) return { problem: 'not a valid host name' };
  const labels = ascii.split('.');
  if (!labels.every((l) => LABEL.test(l))) return { problem: 'not a valid host name' };
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { problem: 'not a valid host name' };
  if (wildcard && labels.length < 2) {
    return { problem: 'a wildcard needs at least two labels after it (*.example.com)' };
  }
  return wildcard ? `*.${ascii}` : ascii;
}

/** Whether `host` (a request's domain) is allowed by a normalized list (empty = any). */
export function domainAllowed(allowed: readonly string[], host: string): boolean {
  if (allowed.length === 0) return true;
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((d) => (d.startsWith('*.') ? h.endsWith(d.slice(1)) : h === d));
}
