import { baseConfigShape, bool, csv, port, positiveInt, urlString } from '@portico/core';
import { z } from 'zod';

/** Every environment variable the gateway reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  /** Public proxy surface (exposed through the ingress). */
  PORT: port(8080),
  /** Admin surface: /readyz, /healthz, /metrics, /.well-known/jwks.json. Not exposed publicly. */
  ADMIN_PORT: port(9080),
  /** Name of this replica in logs and metrics (defaults to the host name). */
  GATEWAY_REPLICA_ID: z.string().max(128).default(''),

  REDIS_URL: urlString().default('redis://127.0.0.1:16379'),
  REDIS_KEY_PREFIX: z.string().default('portico:'),
  /** Every Redis command is bounded by this; a slow or dead Redis never holds a request longer. */
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),

  /** Base URL the gateway uses to reach the key-manager (introspection, JWKS). */
  KEY_MANAGER_URL: urlString().default('http://127.0.0.1:8081'),
  /** Expected `iss` of access tokens; defaults to KEY_MANAGER_URL. */
  KEY_MANAGER_ISSUER: z.string().default(''),
  /** Expected `aud` of JWT access tokens (the key-manager's resource indicator). */
  TOKEN_AUDIENCE: z.string().min(1).default('portico-gateway'),
  GATEWAY_CLIENT_ID: z.string().min(1).default('portico-gateway'),
  GATEWAY_CLIENT_SECRET: z.string().default(''),
  KEY_MANAGER_TIMEOUT_MS: positiveInt(2000),
  /** Most introspection calls in flight per replica (a flood of unknown tokens is capped). */
  KEY_MANAGER_MAX_CONCURRENCY: positiveInt(64),
  /** Minimum time between two JWKS refetches caused by an unknown `kid`. */
  JWKS_COOLDOWN_MS: positiveInt(30_000),
  /** How long a fetched JWKS is trusted before it is refreshed. */
  JWKS_MAX_AGE_MS: positiveInt(600_000),
  /** Clock skew tolerated on exp/nbf. */
  CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),

  /** Validation cache: entry TTL = min(this, exp - now). */
  TOKEN_CACHE_TTL_SECONDS: positiveInt(300),
  /** Invalid tokens are remembered this long (both levels). */
  TOKEN_NEGATIVE_CACHE_TTL_SECONDS: positiveInt(10),
  TOKEN_CACHE_MAX_ENTRIES: positiveInt(100_000),

  /** Read model source: a file (same JSON as the store's snapshot) or the store's endpoint. */
  READ_MODEL_FILE: z.string().default(''),
  STORE_URL: z.string().default(''),
  READ_MODEL_TOKEN: z.string().default(''),

  /** Headers holding the caller's domain, first present wins; bare host or URL accepted. */
  CLIENT_DOMAIN_HEADERS: csv('origin,referer'),
  /** Remove Authorization and the access_token query parameter before forwarding. */
  REMOVE_OAUTH_HEADERS: bool(true),
  /** Client-supplied headers always removed (identity headers only the gateway may set). */
  IDENTITY_HEADERS: csv(
    'x-user,x-user-id,x-consumer-id,x-consumer-username,x-consumer-custom-id,x-authenticated-userid,' +
      'x-authenticated-scope,x-credential-identifier,x-client-id,x-application-id,x-end-user,' +
      'x-remote-user,remote-user,x-forwarded-user,x-forwarded-email,x-forwarded-preferred-username',
  ),
  BACKEND_JWT_ENABLED: bool(true),
  BACKEND_JWT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('X-JWT-Assertion'),
  BACKEND_JWT_ISSUER: z.string().min(1).default('portico-gateway'),
  BACKEND_JWT_TTL_SECONDS: positiveInt(300),
  /** PKCS#8 PEM or private JWK (JSON) signing the backend JWT. Empty: an ephemeral key (dev only). */
  BACKEND_JWT_SIGNING_KEY: z.string().default(''),

  UPSTREAM_TIMEOUT_MS: positiveInt(30_000),

  /** Answer CORS preflights and add Access-Control-Allow-Origin for browser callers. */
  CORS_ENABLED: bool(true),
  CORS_MAX_AGE_SECONDS: positiveInt(600),

  /** When Redis cannot be asked: `open` lets requests through, `closed` answers 503. */
  RATE_LIMIT_FAIL_MODE: z.enum(['open', 'closed']).default('open'),

  /** Count usage per application, API and status class and publish it to Kafka (docs/adr/0080). */
  ANALYTICS_ENABLED: bool(true),
  /** Length of a usage window, one batch each; divides the minute so no window spans two. */
  ANALYTICS_FLUSH_INTERVAL_MS: positiveInt(60_000).refine((ms) => ms >= 100 && 60_000 % ms === 0, {
    message: 'must be at least 100 and divide 60000 (e.g. 60000, 30000, 1000)',
  }),
  /** Unsent batches kept while Kafka cannot be reached; beyond it the oldest is dropped. */
  ANALYTICS_MAX_PENDING_BATCHES: positiveInt(60),
});

export type Config = z.infer<typeof configSchema>;
