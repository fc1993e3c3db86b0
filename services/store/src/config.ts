import type { TokenValidityBounds } from '@portico/contracts';
import { MAX_VALIDITY_SECONDS } from '@portico/contracts';
import { baseConfigShape, bool, ConfigError, csv, port, positiveInt, secret, urlString } from '@portico/core';
import { kafkaTopicConfigShape } from '@portico/events';
import { z } from 'zod';

/** Every environment variable the store reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  PORT: port(8082),
  /** /metrics (and health) on a port of its own, never routed by the portal Ingress. */
  ADMIN_PORT: port(9082),
  /** The portal's public base URL (redirect URIs, cookie Secure flag when https). */
  PUBLIC_URL: urlString().default('http://127.0.0.1:8082'),
  MONGO_URL: urlString().default('mongodb://127.0.0.1:27018/'),
  MONGO_DB: z.string().min(1).default('portico_store'),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  ...kafkaTopicConfigShape,
  /** How often the outbox relay looks for unpublished events (it is also woken by each write). */
  OUTBOX_RELAY_INTERVAL_MS: positiveInt(1000),
  /** Key-manager public base URL = its issuer (OIDC discovery, introspection). */
  KEY_MANAGER_URL: urlString().default('http://127.0.0.1:8081'),
  KEY_MANAGER_ADMIN_URL: urlString().default('http://127.0.0.1:8091'),
  KEY_MANAGER_ADMIN_TOKEN: secret(z.string().min(16).default('dev-key-manager-admin-token-change-me')),
  KEY_MANAGER_TIMEOUT_MS: positiveInt(5000),
  /** The portal's OAuth client at the key-manager (developer sign-in and bearer introspection). */
  PORTAL_CLIENT_ID: z.string().min(1).default('portico-portal'),
  PORTAL_CLIENT_SECRET: secret(z.string().min(1).default('dev-portal-secret-change-me')),
  SESSION_TTL_SECONDS: positiveInt(8 * 3600),
  /** Force the Secure cookie flag (default: on when PUBLIC_URL is https). */
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Bearer token the gateway presents on GET /internal/read-model. */
  READ_MODEL_TOKEN: secret(z.string().min(16).default('dev-read-model-token-change-me')),
  /** YAML file with APIs and tiers applied at start-up (empty = none). */
  CATALOG_FILE: z.string().default(''),
  /** Bounds an application key's token validity may take (seconds; negative = never expires). */
  TOKEN_VALIDITY_DEFAULT_SECONDS: z.coerce.number().int().default(3600),
  TOKEN_VALIDITY_MIN_SECONDS: z.coerce.number().int().positive().default(60),
  TOKEN_VALIDITY_MAX_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(365 * 24 * 3600),
  /** Whether a key may be given a validity that never expires (negative). */
  TOKEN_VALIDITY_ALLOW_NEVER_EXPIRES: bool(true),
  /** Key creation slots older than this are considered abandoned (crash between steps). */
  KEY_PENDING_TIMEOUT_SECONDS: positiveInt(60),
  /** The built developer portal (services/portal/dist); empty = <repo>/services/portal/dist. */
  PORTAL_DIST_DIR: z.string().default(''),
  /** The gateway's public URL, shown in the portal's curl examples. */
  PORTAL_GATEWAY_URL: urlString().default('http://127.0.0.1:8080'),
  /** The client domain header the gateway reads (its CLIENT_DOMAIN_HEADERS, first entry). */
  PORTAL_CLIENT_DOMAIN_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name')
    .default('Origin'),
  /** Fold the gateways' usage batches (topic portico.usage.v1) for the usage API (docs/adr/0082). */
  USAGE_ENABLED: bool(true),
  /** How often usage is rolled up to hours and days and expired. */
  USAGE_ROLLUP_INTERVAL_MS: positiveInt(60_000),
  /** Retention of per-minute, per-hour and per-day usage. */
  USAGE_MINUTE_RETENTION_HOURS: positiveInt(48),
  USAGE_HOUR_RETENTION_DAYS: positiveInt(35),
  USAGE_DAY_RETENTION_DAYS: positiveInt(400),
});

export type Config = z.infer<typeof configSchema>;

/** The development defaults of the shared secrets (the key-manager has the same ones). */
const DEV_SECRETS = {
  KEY_MANAGER_ADMIN_TOKEN: 'dev-key-manager-admin-token-change-me',
  PORTAL_CLIENT_SECRET: 'dev-portal-secret-change-me',
  READ_MODEL_TOKEN: 'dev-read-model-token-change-me',
} as const;

/** Problems with a configuration that would be unsafe in production (empty = fine). */
export function productionProblems(config: Config): string[] {
  if (config.NODE_ENV !== 'production') return [];
  return (Object.keys(DEV_SECRETS) as Array<keyof typeof DEV_SECRETS>)
    .filter((k) => config[k] === DEV_SECRETS[k])
    .map((k) => `${k}: must be set in production (the development default is refused)`);
}

/** Refuses to start with a configuration that is unsafe in production. */
export function assertProductionReady(config: Config): void {
  const problems = productionProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The token validity bounds, as the key rules and the portal both take them. */
export function tokenValidityBounds(config: Config): TokenValidityBounds {
  return {
    defaultSeconds: config.TOKEN_VALIDITY_DEFAULT_SECONDS,
    minSeconds: config.TOKEN_VALIDITY_MIN_SECONDS,
    // No validity is longer than the contracts allow (longer is refused, never taken for "never").
    maxSeconds: Math.min(config.TOKEN_VALIDITY_MAX_SECONDS, MAX_VALIDITY_SECONDS),
    allowNeverExpires: config.TOKEN_VALIDITY_ALLOW_NEVER_EXPIRES,
  };
}
