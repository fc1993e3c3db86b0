/**
 * Every machine `code` the services put in the common error shape
 * `{ error: { code, message, requestId, details? } }` (OAuth endpoints answer RFC 6749 errors
 * instead). The list is closed: AppError only takes these, so a new code is added here, and to
 * docs/error-codes.md, on purpose. Grouped by who emits them; a code keeps its meaning everywhere.
 */
export const ERROR_CODES = {
  // ---- every service (libs/core)
  bad_request: 'The request is invalid (see message)',
  validation_failed: 'The body, query or parameters do not match the schema (details lists the issues)',
  invalid_json: 'The body is not valid JSON',
  invalid_body: 'The body could not be read',
  payload_too_large: 'The body is larger than BODY_LIMIT_BYTES',
  unsupported_media_type: 'The body is not application/json (or YAML where accepted)',
  unauthorized: 'Authentication is required',
  invalid_token: 'The bearer token or credential is not valid',
  forbidden: 'Authenticated, but not allowed',
  not_found: 'No such resource (or not yours)',
  conflict: 'The resource changed concurrently or is in a state that refuses the request',
  unavailable: 'A dependency is unavailable; retry after Retry-After seconds',
  internal_error: 'An unexpected error (details are in the log, never in the answer)',

  // ---- store: identity
  login_failed: 'Sign-in at the key-manager failed, expired or came back to another browser',
  csrf_failed: 'A cookie-authenticated write without the session CSRF token',
  admin_required: 'The route needs the admin role',
  // ---- store: catalog
  api_exists: 'An API with this context, or this name and version, exists',
  api_in_use: 'The API has subscriptions',
  invalid_lifecycle_transition: 'The API lifecycle cannot move to that state from its current one',
  tier_exists: 'A tier with this name exists (replace it with PUT)',
  tier_built_in: 'Built-in tiers cannot be deleted',
  tier_in_use: 'The tier is used by subscriptions or applications',
  unknown_tier: 'No tier has that name',
  no_catalog_file: 'No CATALOG_FILE is configured',
  invalid_yaml: 'The YAML body or CATALOG_FILE does not parse',
  // ---- store: applications and subscriptions
  application_exists: 'The caller already has an application with this name',
  application_deleting: 'The application is being deleted',
  application_changed: 'The application changed while its keys were generated',
  subscription_exists: 'The application is already subscribed to this API',
  api_not_published: 'Only PUBLISHED APIs take new subscriptions',
  forbidden_field: 'A field only administrators may set',
  // ---- store: keys
  keys_exist: 'The application already has (or is generating) keys of this type',
  no_keys: 'The application has no keys of this type',
  grant_not_allowed: 'The key or client does not allow this grant type',
  invalid_allowed_domains: 'An allowed domain is not a host name or *.wildcard',
  invalid_validity: 'The token validity is outside the allowed bounds',
  key_manager_out_of_sync: 'The key no longer exists at the key-manager',
  key_manager_rejected: 'The key-manager refused the request',
  // ---- application keys: the store's key routes and the key-manager admin API (libs/contracts key-grants.ts)
  invalid_grant_types: 'A grant type is unknown, missing, or the grant types do not go together',
  callback_required: 'The authorization_code grant needs a callback URL',
  invalid_callback_url:
    'A callback (redirect) URL is not https (http only for loopback), has a fragment, or is too long',

  // ---- key-manager admin API
  client_not_found: 'No such OAuth client',
  invalid_subject: 'The subject is not DOMAIN/name of a configured user store',
  invalid_domain: 'No user store has this domain',
  invalid_time: 'The time must not be in the future',
  userstore_not_found: 'No such user store',
  user_not_found: 'No such user',
  user_exists: 'The user exists',
  invalid_username: 'Not a valid user name in this user store',

  // ---- gateway
  missing_token: 'No access token was sent',
  malformed_token: 'The Authorization header says Bearer but is not `Bearer <b64token>`',
  unknown_token: 'The key-manager does not know the token',
  expired_token: 'The token has expired',
  revoked_token: 'The token has been revoked',
  invalid_dpop_proof: 'A DPoP-bound token without a valid, fresh, unused DPoP proof for this request',
  invalid_path: 'The request path is not acceptable',
  api_not_found: 'No API matches this path',
  api_blocked: 'The API is BLOCKED',
  api_retired: 'The API is RETIRED (410)',
  unknown_application: 'The token belongs to no application known to this gateway',
  client_disabled: 'The client of this token is disabled',
  key_type_mismatch: 'The token key type does not match its application key',
  no_production_endpoint: 'The API has no production endpoint',
  no_sandbox_endpoint: 'The API has no sandbox endpoint',
  not_subscribed: 'The application is not subscribed to this API',
  subscription_blocked: 'The subscription is blocked',
  domain_required: 'The key is restricted to some domains and no client domain header was sent',
  domain_not_allowed: 'The calling domain is not allowed for this key',
  insufficient_scope: 'The token lacks a scope the API resource needs',
  rate_limited: "A tier's rate limit is exceeded (Retry-After says when)",
  verification_unavailable: 'The gateway cannot verify the token right now (503, never 401)',
  bad_gateway: 'The upstream service could not be reached',
  gateway_timeout: 'The upstream service did not answer in time',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
