/**
 * Request-target hygiene. The gateway authorizes exactly the path it forwards, so a path that
 * different parsers could read differently is refused (400) instead of being "fixed":
 * dot segments, empty segments, encoded `/` `\` `.` `%` and control characters, backslashes,
 * `;` path parameters (Tomcat's `..;/`), bad percent-escapes. The accepted path is forwarded
 * byte for byte. The `access_token` query parameter can be removed without touching the rest.
 */

import type { AppError } from '@portico/core';
import { badRequest } from '@portico/core';

export interface RequestTarget {
  /** The path, still percent-encoded, exactly as it will be forwarded. */
  path: string;
  /** The raw query string without `?` ('' when none). */
  query: string;
}

const FORBIDDEN_ESCAPES = new Set(['2f', '5c', '2e', '25', '00', '3b']);

export function parseTarget(rawUrl: string): RequestTarget | AppError {
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? '' : rawUrl.slice(q + 1);
  if (!path.startsWith('/') || path.length > 4096)
    return invalid('The request path must be an absolute path');
  // Printable ASCII only; no backslash, no ';', no fragment.
  if (!/^[\x21-\x7e]*$/.test(path) || /[\\;#]/.test(path))
    return invalid('The request path contains a forbidden character');
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
    const hex = path.slice(i + 1, i + 3).toLowerCase();
    if (!/^[0-9a-f]{2}$/.test(hex)) return invalid('The request path has a malformed percent-escape');
    if (FORBIDDEN_ESCAPES.has(hex) || Number.parseInt(hex, 16) < 0x20 || hex === '7f') {
      return invalid('The request path contains an encoded separator, dot or control character');
    }
  }
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i += 1) {
    const s = segments[i];
    if (s === '.' || s === '..') return invalid('The request path contains a dot segment');
    // An empty segment is ambiguous (`//`), except the single trailing slash.
    if (s === '' && i !== segments.length - 1) return invalid('The request path contains an empty segment');
  }
  if (hasControlOrFragment(query)) return invalid('The query string contains a forbidden character');
  return { path, query };
}

/** The query without any `access_token` parameter (other parameters kept byte for byte). */
export function withoutAccessToken(query: string): string {
  if (query === '') return '';
  // Fast path (every request with a query): without a `%` escape the name can only be spelled
  // `access_token` literally (`+` decodes to a space), so a query without it has nothing to remove.
  if (!query.includes('%') && !query.includes('access_token')) return query;
  return query
    .split('&')
    .filter((part) => {
      const name = part.split('=', 1)[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return decoded !== 'access_token';
    })
    .join('&');
}

function hasControlOrFragment(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x23) return true;
  }
  return false;
}

function invalid(message: string): AppError {
  return badRequest(message, undefined, 'invalid_path');
}
