/**
 * Outbound header hygiene. Headers the gateway owns are always removed from what the client
 * sent and, where they apply, set by the gateway: clients cannot spoof identity.
 * - hop-by-hop headers (RFC 9110 §7.6.1) and those named in `Connection` never cross;
 * - `Authorization` (and `Proxy-Authorization`) are removed when REMOVE_OAUTH_HEADERS is on;
 * - identity headers (IDENTITY_HEADERS), the backend JWT header, `x-jwt-assertion` and any
 *   `x-portico-*` are removed; the gateway adds its backend JWT afterwards;
 * - `x-forwarded-for/-proto/-host` are replaced by what this gateway saw (the host only when
 *   the client's `Host` is a well-formed host[:port]); `x-request-id` is set (a client's id is
 *   kept only when well-formed: libs/core requestId);
 * - every other header that tells an upstream who the client is or which URL it asked for
 *   (`x-real-ip`, `true-client-ip`, `cf-connecting-ip`, `x-forwarded-port/-prefix`,
 *   `x-original-url`, ...) is removed: only the gateway vouches for those;
 * - names with an underscore never cross: CGI/WSGI/PHP upstreams read `X_User` as `X-User`
 *   (nginx drops them by default for the same reason).
 * The decisions are in docs/adr/0034-gateway-outbound-headers-and-backend-jwt.md.
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
  for (const name of GATEWAY_OWNED) drop.add(name);
  return drop;
}

/** Who the client is and which URL it asked for: set by this gateway or not at all. */
const GATEWAY_OWNED = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-forwarded-scheme',
  'x-original-forwarded-for',
  'forwarded',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'x-request-id',
];

/** host, host:port, IPv4[:port] or [IPv6][:port]; nothing else is repeated to an upstream. */
const AUTHORITY =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function forwardableHost(host: string | undefined): string | undefined {
  return host !== undefined && host.length <= 261 && AUTHORITY.test(host) ? host : undefined;
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
    if (value === undefined || drop.has(name) || name.startsWith('x-portico-') || name.includes('_'))
      continue;
    if (named.length > 0 && named.includes(name)) continue;
    out[name] = value;
  }
  out['x-forwarded-for'] = info.clientIp;
  out['x-forwarded-proto'] = info.proto;
  const host = forwardableHost(info.host);
  if (host) out['x-forwarded-host'] = host;
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
