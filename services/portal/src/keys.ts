/**
 * Pure helpers of the keys page: the same allowed-domain rules the store applies
 * (services/store/src/domain/allowed-domains.ts) and its token-validity rule (libs/contracts),
 * so mistakes are explained before the request; and the curl example through the gateway.
 */
import type { TokenValidityBounds } from '@portico/contracts';
import { checkKeyGrants, checkValidity } from '@portico/contracts';
import { formatSeconds } from './format.ts';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** "a.example.com, *.example.com" or one per line → the list, or the problems to show. */
export function parseDomains(text: string): { domains: string[]; problems: string[] } {
  const entries = text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
  if (entries.length === 0) return { domains: [], problems: [] };
  if (entries.some((d) => d.toUpperCase() === 'ALL')) {
    return entries.length > 1
      ? { domains: [], problems: ['“ALL” cannot be combined with other domains.'] }
      : { domains: ['ALL'], problems: [] };
  }
  if (entries.length > 100) return { domains: [], problems: ['At most 100 allowed domains.'] };
  const problems: string[] = [];
  for (const raw of entries) {
    const p = domainProblem(raw);
    if (p) problems.push(`“${raw.slice(0, 80)}”: ${p}`);
  }
  return { domains: entries, problems };
}

function domainProblem(raw: string): string | undefined {
  if (/[/:@?#\\]/.test(raw)) return 'enter a host name such as app.example.com (no scheme, port or path).';
  let host = raw.toLowerCase().replace(/\.$/, '');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host.includes('*')) return 'a wildcard is only allowed as the first label (*.example.com).';
  if (IPV4.test(host)) return wildcard ? 'a wildcard cannot apply to an IP address.' : undefined;
  let ascii = host;
  try {
    ascii = new URL(`http://${host}`).hostname;
  } catch {
    return 'not a valid host name.';
  }
  const labels = ascii.split('.');
  if (ascii.length > 253 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1) ?? ''))
    return 'not a valid host name.';
  if (wildcard && labels.length < 2) return 'a wildcard needs at least two labels after it (*.example.com).';
  return undefined;
}

/** The validity field → seconds, or the message to show (the rule is the store's, libs/contracts). */
export function parseValidity(
  text: string,
  bounds: TokenValidityBounds,
): { seconds: number; problem?: undefined } | { seconds?: undefined; problem: string } {
  const t = text.trim();
  // Raw seconds are what the field takes; the human units say what they mean (31536000 = 1 year).
  const range = `between ${bounds.minSeconds} and ${bounds.maxSeconds} seconds (${formatSeconds(bounds.minSeconds)} to ${formatSeconds(bounds.maxSeconds)})${bounds.allowNeverExpires ? ', or negative for a token that never expires' : ''}`;
  if (!/^-?\d{1,10}$/.test(t)) return { problem: `Enter a whole number of seconds, ${range}.` };
  const check = checkValidity(Number(t), bounds);
  if (check.ok) return { seconds: check.seconds };
  return check.rule === 'never_not_allowed'
    ? { problem: 'Tokens that never expire are not allowed here.' }
    : { problem: `Token validity must be ${range}.` };
}

/** The host a client of this key would send in the domain header. */
export function sampleDomain(allowed: string[]): string {
  const first = allowed.find((d) => d.toUpperCase() !== 'ALL');
  if (!first) return 'app.example.com';
  return first.startsWith('*.') ? `app.${first.slice(2)}` : first;
}

/** The gateway's domain header value: Origin wants an origin, Referer a URL, others a host. */
export function domainHeaderValue(header: string, host: string): string {
  const h = header.toLowerCase();
  if (h === 'origin') return `https://${host}`;
  if (h === 'referer') return `https://${host}/`;
  return host;
}

const shellSafe = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** A curl command through the gateway; `$TOKEN` stands for the token when none is shown. */
export function curlExample(options: {
  gatewayUrl: string;
  context: string;
  path: string;
  token: string | undefined;
  domainHeader: string;
  allowedDomains: string[];
}): string {
  const url = `${options.gatewayUrl}${options.context}${options.path || '/'}`;
  const token = options.token && /^[A-Za-z0-9\-._~+/=]+$/.test(options.token) ? options.token : '$TOKEN';
  const domain = domainHeaderValue(options.domainHeader, sampleDomain(options.allowedDomains));
  return [
    'curl -i \\',
    `  -H "Authorization: Bearer ${token}" \\`,
    `  -H ${shellSafe(`${options.domainHeader}: ${domain}`)} \\`,
    `  ${shellSafe(url)}`,
  ].join('\n');
}

/**
 * The token-endpoint curl of one grant (the key tab's "Get a token" panel). The consumer secret
 * and the user's password come from the shell ($CONSUMER_SECRET, $PASSWORD): never written into
 * a command a developer pastes into a chat or a ticket. Values are form-encoded by curl.
 */
export type TokenCurlGrant =
  | { grant: 'client_credentials' }
  | { grant: 'password'; username: string }
  | { grant: 'refresh_token' }
  | { grant: 'authorization_code'; redirectUri: string };

export function tokenCurl(options: { tokenUrl: string; consumerKey: string } & TokenCurlGrant): string {
  const lines = [
    'curl -i \\',
    // Double quotes: the shell expands $CONSUMER_SECRET; the key itself is URL-safe.
    `  -u "${options.consumerKey.replace(/["$`\\]/g, '')}:$CONSUMER_SECRET" \\`,
    `  -d grant_type=${options.grant} \\`,
  ];
  if (options.grant === 'password') {
    lines.push(`  --data-urlencode ${shellSafe(`username=${options.username}`)} \\`);
    lines.push('  --data-urlencode "password=$PASSWORD" \\');
  } else if (options.grant === 'refresh_token') {
    lines.push('  --data-urlencode "refresh_token=$REFRESH_TOKEN" \\');
  } else if (options.grant === 'authorization_code') {
    lines.push('  --data-urlencode "code=$CODE" \\');
    lines.push(`  --data-urlencode ${shellSafe(`redirect_uri=${options.redirectUri}`)} \\`);
    lines.push('  --data-urlencode "code_verifier=$CODE_VERIFIER" \\');
  }
  lines.push(`  ${shellSafe(options.tokenUrl)}`);
  return lines.join('\n');
}

/** The authorization request a browser is sent to (authorization code with PKCE, S256). */
export function authorizeUrl(options: {
  authorizeUrl: string;
  consumerKey: string;
  redirectUri: string;
  codeChallenge: string;
}): string {
  const url = new URL(options.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: options.consumerKey,
    redirect_uri: options.redirectUri,
    scope: 'default',
    code_challenge: options.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/**
 * The key form's grant types and callback URLs (one per line) through the one rule the store and
 * the key-manager apply (libs/contracts key-grants.ts): what the form accepts, they accept.
 */
export function parseGrants(
  grantTypes: string[],
  callbackText: string,
): {
  ok?: { grantTypes: string[]; callbackUrls: string[] };
  grantTypes?: string;
  callbackUrls?: string;
} {
  const callbackUrls = callbackText
    .split(/\s+/)
    .map((u) => u.trim())
    .filter(Boolean);
  const check = checkKeyGrants({ grantTypes, callbackUrls });
  if (check.ok) return { ok: { grantTypes: check.grantTypes, callbackUrls: check.callbackUrls } };
  const say = (field: 'grantTypes' | 'callbackUrls') => {
    const problems = check.problems.filter((p) => p.field === field);
    if (problems.length === 0) return undefined;
    return problems
      .map((p) => ({ ...p, message: p.message.charAt(0).toUpperCase() + p.message.slice(1) }))
      .map((p) =>
        p.index !== undefined && field === 'callbackUrls'
          ? `${callbackUrls[p.index]}: ${p.message}`
          : p.message,
      )
      .join('. ')
      .concat('.');
  };
  return { grantTypes: say('grantTypes'), callbackUrls: say('callbackUrls') };
}
