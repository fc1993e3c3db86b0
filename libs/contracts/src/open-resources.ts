/**
 * Resources that need no token (WSO2 API Manager's "auth type None" per resource): a method
 * (or `*`) and a path pattern relative to the API context. A pattern is `/` followed by
 * segments that are literal text or `{name}` (exactly one segment), optionally ending in `/*`
 * (any rest, including none): `/status`, `/posts/{id}`, `/public/*`, `/*` (the whole API).
 * The store validates with these rules; the gateway matches with them.
 */
export const OPEN_RESOURCE_METHODS = [
  '*',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
] as const;
export type OpenResourceMethod = (typeof OPEN_RESOURCE_METHODS)[number];

export interface OpenResource {
  method: OpenResourceMethod;
  path: string;
}

export const MAX_OPEN_RESOURCES = 100;

const SEGMENT = /^(?:[A-Za-z0-9._~!$&'()+,;=:@%-]+|\{[A-Za-z_][A-Za-z0-9_]*\})$/;

/** Why a pattern is not valid, or undefined when it is. */
export function openResourcePathProblem(path: string): string | undefined {
  if (path.length > 512) return 'at most 512 characters';
  if (path === '/*' || path === '/') return undefined;
  if (!path.startsWith('/')) return 'must start with /';
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  for (const [i, s] of segments.entries()) {
    if (i === last && s === '*') continue;
    if (s === '' || s === '.' || s === '..' || !SEGMENT.test(s)) {
      return `"${s}" is not a path segment (literal text or {name}; * only at the end)`;
    }
  }
  return undefined;
}

/** Whether a request (method, path after the context, percent-encoded) hits an open resource. */
export function isOpenResource(resources: readonly OpenResource[], method: string, rest: string): boolean {
  if (resources.length === 0) return false;
  const path = rest === '' ? '/' : rest;
  const segments = path.slice(1).split('/');
  return resources.some((r) => (r.method === '*' || r.method === method) && matches(r.path, segments));
}

function matches(pattern: string, segments: string[]): boolean {
  if (pattern === '/*') return true;
  const parts = pattern === '/' ? [''] : pattern.slice(1).split('/');
  for (let i = 0; i < parts.length; i += 1) {
    const p = parts[i] as string;
    if (p === '*' && i === parts.length - 1) return true;
    const s = segments[i];
    if (s === undefined) return false;
    if (p.startsWith('{')) {
      if (s === '') return false;
      continue;
    }
    if (p !== s) return false;
  }
  return segments.length === parts.length;
}
