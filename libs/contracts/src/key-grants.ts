/**
 * What an application key (one OAuth client at the key-manager) may be granted, and where its
 * authorization codes may be sent: one rule for the store's key routes, the key-manager's admin
 * API and the portal, so the store never accepts what the key-manager then refuses.
 *
 * - Grant types: client_credentials, password, authorization_code, refresh_token; at least one.
 *   refresh_token only alongside password or authorization_code (nothing else issues refresh
 *   tokens); authorization_code needs at least one callback URL.
 * - Callback URLs (OAuth redirect URIs): absolute https URLs, or http only for the loopback hosts
 *   127.0.0.1, [::1] and localhost (native and development apps, RFC 8252 §7.3); no fragment
 *   (RFC 6749 §3.1.2), no user info; at most MAX_CALLBACK_URL_LENGTH characters and
 *   MAX_CALLBACK_URLS of them.
 *
 * The rule names are the error codes both services answer with (libs/core error-codes.ts); this
 * package has no dependencies, so the names are repeated there, and the services hand a rule over
 * as an `ErrorCode` (the compiler compares them).
 */
export const KEY_GRANT_TYPES = [
  'client_credentials',
  'password',
  'authorization_code',
  'refresh_token',
] as const;
export type KeyGrantType = (typeof KEY_GRANT_TYPES)[number];

export const MAX_CALLBACK_URLS = 20;
export const MAX_CALLBACK_URL_LENGTH = 2000;
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

export const CALLBACK_URL_RULE = `an absolute https URL (http only for ${LOOPBACK_HOSTS.join(', ')}) without fragment or user info, at most ${MAX_CALLBACK_URL_LENGTH} characters`;

export type KeyGrantsRule = 'invalid_grant_types' | 'callback_required' | 'invalid_callback_url';

export interface KeyGrantsProblem {
  /** Which input: the caller names it (the store says callbackUrls, the key-manager redirectUris). */
  field: 'grantTypes' | 'callbackUrls';
  /** The position in the list, when one entry is wrong. */
  index?: number;
  rule: KeyGrantsRule;
  message: string;
}

export type KeyGrantsCheck =
  | { ok: true; grantTypes: KeyGrantType[]; callbackUrls: string[] }
  | { ok: false; problems: KeyGrantsProblem[] };

export function isCallbackUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > MAX_CALLBACK_URL_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // `https://x#` parses with an empty hash: a fragment delimiter is refused too.
  if (url.hash || value.includes('#') || url.username || url.password) return false;
  if (url.protocol === 'https:') return url.hostname !== '';
  return url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname);
}

const isGrantType = (g: unknown): g is KeyGrantType =>
  typeof g === 'string' && (KEY_GRANT_TYPES as readonly string[]).includes(g);

/** The one check of a key's grant types and callback URLs; duplicates are dropped, order kept. */
export function checkKeyGrants(input: {
  grantTypes: readonly unknown[];
  callbackUrls: readonly unknown[];
}): KeyGrantsCheck {
  const problems: KeyGrantsProblem[] = [];
  input.grantTypes.forEach((g, index) => {
    if (!isGrantType(g)) {
      problems.push({
        field: 'grantTypes',
        index,
        rule: 'invalid_grant_types',
        message: `${JSON.stringify(g)} is not one of ${KEY_GRANT_TYPES.join(', ')}`,
      });
    }
  });
  const grantTypes = [...new Set(input.grantTypes.filter(isGrantType))];
  if (input.grantTypes.length === 0) {
    problems.push({ field: 'grantTypes', rule: 'invalid_grant_types', message: 'at least one grant type' });
  }
  if (
    grantTypes.includes('refresh_token') &&
    !grantTypes.some((g) => g === 'password' || g === 'authorization_code')
  ) {
    problems.push({
      field: 'grantTypes',
      rule: 'invalid_grant_types',
      message: 'refresh_token needs the authorization_code or password grant',
    });
  }
  if (input.callbackUrls.length > MAX_CALLBACK_URLS) {
    problems.push({
      field: 'callbackUrls',
      rule: 'invalid_callback_url',
      message: `at most ${MAX_CALLBACK_URLS} callback URLs`,
    });
  }
  input.callbackUrls.forEach((u, index) => {
    if (!isCallbackUrl(u)) {
      problems.push({
        field: 'callbackUrls',
        index,
        rule: 'invalid_callback_url',
        message: `must be ${CALLBACK_URL_RULE}`,
      });
    }
  });
  const callbackUrls = [...new Set(input.callbackUrls.filter((u): u is string => isCallbackUrl(u)))];
  if (grantTypes.includes('authorization_code') && input.callbackUrls.length === 0) {
    problems.push({
      field: 'callbackUrls',
      rule: 'callback_required',
      message: 'the authorization_code grant needs at least one callback URL',
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, grantTypes, callbackUrls };
}

type FieldNames = { grantTypes: string; callbackUrls: string };
const OWN_NAMES: FieldNames = { grantTypes: 'grantTypes', callbackUrls: 'callbackUrls' };

/** One line for people: each problem prefixed by the caller's name for its field. */
export function describeKeyGrantsProblems(
  problems: readonly KeyGrantsProblem[],
  names: FieldNames = OWN_NAMES,
): string {
  return problems
    .map((p) => `${names[p.field]}${p.index === undefined ? '' : `[${p.index}]`}: ${p.message}`)
    .join('; ');
}

/** The error details: one entry per problem, with the path written like schema issues (`callbackUrls.0`). */
export function keyGrantsDetails(
  problems: readonly KeyGrantsProblem[],
  names: FieldNames = OWN_NAMES,
): Array<{ path: string; code: KeyGrantsRule; message: string }> {
  return problems.map((p) => ({
    path: `${names[p.field]}${p.index === undefined ? '' : `.${p.index}`}`,
    code: p.rule,
    message: p.message,
  }));
}
