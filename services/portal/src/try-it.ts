/**
 * Pure helpers of the API page's try-it console: the request URL from an operation and the
 * filled parameters, the gateway's allowed-domain rule (services/gateway/src/pipeline/domain.ts)
 * to warn before a call the gateway will refuse, how the browser sends the domain header, and
 * the answer's body as shown.
 */
import type { TokenValidityBounds } from '@portico/contracts';
import type { Operation } from './openapi.ts';

/** Values typed by the user, keyed `${in}:${name}`. */
export type ParamValues = Record<string, string>;

/**
 * The inputs the console asks for: the path and query parameters the document declares, plus
 * every `{name}` of the path template it forgot to declare (a path parameter is always required).
 */
export function inputsOf(
  op: Operation,
): { name: string; in: 'path' | 'query'; required: boolean; example?: string }[] {
  const declared = op.parameters.flatMap((p) =>
    p.in === 'path' || p.in === 'query'
      ? [{ ...p, in: p.in as 'path' | 'query', required: p.required || p.in === 'path' }]
      : [],
  );
  const names = new Set(declared.filter((p) => p.in === 'path').map((p) => p.name));
  const template = [...op.path.matchAll(/\{([^}]+)\}/g)]
    .map((m) => m[1]!)
    .filter((n) => !names.has(n))
    .map((name) => ({ name, in: 'path' as const, required: true }));
  return [...template, ...declared];
}

/** The required parameters left empty, by name. */
export function missingParams(op: Operation, values: ParamValues): string[] {
  return inputsOf(op)
    .filter((p) => (p.in === 'path' || p.in === 'query') && (p.required || p.in === 'path'))
    .filter((p) => (values[`${p.in}:${p.name}`] ?? '').trim() === '')
    .map((p) => p.name);
}

/** gateway URL + API context + the operation's path with its path and query parameters filled. */
export function requestUrl(gatewayUrl: string, context: string, op: Operation, values: ParamValues): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(values[`path:${name}`] ?? ''),
  );
  const query = new URLSearchParams();
  for (const p of op.parameters) {
    const v = values[`query:${p.name}`];
    if (p.in === 'query' && v !== undefined && v !== '') query.append(p.name, v);
  }
  const qs = query.toString();
  return `${gatewayUrl}${context}${path.startsWith('/') ? path : `/${path}`}${qs ? `?${qs}` : ''}`;
}

/** The gateway's rule: an empty list or ALL allows any host; `*.x.com` any subdomain, not the apex. */
export function domainAllowed(allowed: string[], host: string): boolean {
  if (allowed.length === 0 || allowed.some((d) => d.trim().toUpperCase() === 'ALL')) return true;
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((entry) => {
    const rule = entry.trim().toLowerCase().replace(/\.$/, '');
    return rule.startsWith('*.') ? h.endsWith(rule.slice(1)) && h.length > rule.length - 1 : h === rule;
  });
}

/**
 * How the console's fetch carries the caller's domain, the portal's own, in the header the
 * gateway reads: Origin is always sent by the browser on a cross-origin call; Referer only if the
 * request's referrer policy lets it out (the portal's page policy is same-origin), so it asks for
 * `origin`; any other header is set to the portal's host. Forbidden headers are never set by hand.
 */
export function domainInit(
  header: string,
  portal: { host: string },
): { headers: Record<string, string>; referrerPolicy?: ReferrerPolicy } {
  const h = header.trim().toLowerCase();
  if (h === 'origin' || h === '') return { headers: {} };
  if (h === 'referer') return { headers: {}, referrerPolicy: 'origin' };
  return { headers: { [h]: portal.host } };
}

/** A short validity for the console's tokens (5 minutes), inside the store's bounds. */
export function tryItValidity(bounds: TokenValidityBounds): number {
  return Math.min(Math.max(300, bounds.minSeconds), bounds.maxSeconds);
}

export const MAX_BODY_SHOWN = 100_000;

/** The answer's body as shown: pretty JSON when it parses, cut at MAX_BODY_SHOWN characters. */
export function shownBody(text: string, contentType: string): { text: string; json: boolean; cut: number } {
  let out = text;
  let json = false;
  if (/json/i.test(contentType) || /^\s*[[{]/.test(text)) {
    try {
      out = JSON.stringify(JSON.parse(text), null, 2);
      json = true;
    } catch {
      // not JSON after all: shown as text
    }
  }
  if (out.length <= MAX_BODY_SHOWN) return { text: out, json, cut: 0 };
  return { text: out.slice(0, MAX_BODY_SHOWN), json, cut: out.length - MAX_BODY_SHOWN };
}

const shellSafe = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The same call as a curl command; the token is never shown ($TOKEN stands for it). */
export function tryItCurl(options: {
  method: string;
  url: string;
  domainHeader: string;
  portalOrigin: string;
  body: string | undefined;
}): string {
  const h = options.domainHeader.toLowerCase();
  const domain =
    h === 'origin'
      ? options.portalOrigin
      : h === 'referer'
        ? `${options.portalOrigin}/`
        : new URL(options.portalOrigin).host;
  return [
    `curl -i -X ${options.method.toUpperCase()} \\`,
    '  -H "Authorization: Bearer $TOKEN" \\',
    `  -H ${shellSafe(`${options.domainHeader}: ${domain}`)} \\`,
    ...(options.body !== undefined
      ? ['  -H "Content-Type: application/json" \\', `  --data ${shellSafe(options.body)} \\`]
      : []),
    `  ${shellSafe(options.url)}`,
  ].join('\n');
}
