/**
 * Allowed-domain check for restricted keys. The caller's domain is read from the first present
 * header of CLIENT_DOMAIN_HEADERS (default `origin,referer`: browsers set them and page scripts
 * cannot forge them; a server-side client can send anything, so this restricts browsers only,
 * as in WSO2). The value may be a bare host (`app.example.com`, optionally `:port`) or a URL.
 * Allowed entries are host names or `*.example.com` (any subdomain, not the apex);
 * an empty list or `ALL` allows any domain and makes the header optional.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type DomainVerdict = 'allowed' | 'missing' | 'denied';

function isUnrestricted(allowed: string[]): boolean {
  return allowed.length === 0 || allowed.some((d) => d.trim().toUpperCase() === 'ALL');
}

export function checkDomain(
  allowed: string[],
  headers: IncomingHttpHeaders,
  headerNames: string[],
): DomainVerdict {
  if (isUnrestricted(allowed)) return 'allowed';
  let value: string | undefined;
  for (const name of headerNames) {
    const raw = headers[name.toLowerCase()];
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (v !== undefined && v.trim() !== '') {
      value = v.trim();
      break;
    }
  }
  if (value === undefined) return 'missing';
  const host = hostOf(value);
  if (!host) return 'denied';
  for (const entry of allowed) {
    const rule = entry.trim().toLowerCase().replace(/\.$/, '');
    if (rule.startsWith('*.')) {
      if (host.endsWith(rule.slice(1)) && host.length > rule.length - 1) return 'allowed';
    } else if (host === rule) {
      return 'allowed';
    }
  }
  return 'denied';
}

/** Host name of a bare `host[:port]` or of an http(s) URL; undefined when it is neither. */
export function hostOf(value: string): string | undefined {
  // A bare host goes through the same URL parser (IDN -> punycode, case folding) as a URL.
  const isUrl = value.includes('://');
  if (!isUrl && /[/@?#\\\s]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(isUrl ? value : `http://${value}`);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.replace(/\.$/, '');
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host) ? host : undefined;
}
