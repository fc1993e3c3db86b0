/**
 * Outbound header hygiene. Headers the gateway owns are always removed from what the client
 * sent and, where they apply, set by the gateway: clients cannot spoof identity.
 * - hop-by-hop headers (RFC 9110 §7.6.1) and those named in `Connection` never cross;
 * - `Authorization` (and `Proxy-Authorization`) are removed when REMOVE_OAUTH_HEADERS is on;
 * - identity headers (IDENTITY_HEADERS), the backend JWT header, `x-jwt-assertion` and any
 *   `x-portico-*` are removed; the gateway adds its backend JWT afterwards;
 * - `x-forwarded-for/-proto/-host` are replaced by what this gateway saw; `x-request-id` set.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

export interface OutboundOptions {
  removeAuthorization: boolean;
  identityHeaders: string[];
  backendJwtHeader: string;
}

export interface ForwardInfo {
  clientIp: string;
  proto: string;
  host: string | undefined;
  requestId: string;
}

/** The names always removed for these options (built once: this runs per request). */
export function droppedHeaders(options: OutboundOptions): Set<string> {
  const drop = new Set(HOP_BY_HOP);
  if (options.removeAuthorization) drop.add('authorization');
  for (const name of options.identityHeaders) drop.add(name.toLowerCase());
  drop.add(options.backendJwtHeader.toLowerCase());
  drop.add('x-jwt-assertion');
  // The gateway's own server has already answered `Expect: 100-continue` to the client.
  drop.add('expect');
  for (const name of [
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'forwarded',
    'x-request-id',
  ])
    drop.add(name);
  return drop;
}

export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  options: OutboundOptions | Set<string>,
  info: ForwardInfo,
): OutgoingHttpHeaders {
  const drop = options instanceof Set ? options : droppedHeaders(options);
  const named = connectionTokens(incoming['connection']);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || drop.has(name) || name.startsWith('x-portico-')) continue;
    if (named.length > 0 && named.includes(name)) continue;
    out[name] = value;
  }
  out['x-forwarded-for'] = info.clientIp;
  out['x-forwarded-proto'] = info.proto;
  if (info.host) out['x-forwarded-host'] = info.host;
  out['x-request-id'] = info.requestId;
  return out;
}

/** Response headers from upstream minus hop-by-hop ones. */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(incoming['connection']);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (named.length > 0 && named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

const NONE: string[] = [];

function connectionTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return NONE;
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}
