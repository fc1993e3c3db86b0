import { baseConfigShape, bool, ConfigError, csv, port, positiveInt, secret, urlString } from '@portico/core';
import { DEFAULT_REVOCATION_RETENTION_MS, kafkaTopicConfigShape } from '@portico/events';
import { z } from 'zod';
import { validitySeconds } from './oidc/validity.ts';

/** A TokenValidity: seconds, or negative for "never expires" (docs/adr/0010). */
const validity = (fallback: number) => z.coerce.number().default(fallback).pipe(validitySeconds);

/** Development defaults shared with the store's config; refused in production (assertProductionSecrets). */
const DEV_ADMIN_TOKEN = 'dev-key-manager-admin-token-change-me';
const DEV_PORTAL_SECRET = 'dev-portal-secret-change-me';

/** Every environment variable the key-manager reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  PORT: port(8081),
  ADMIN_PORT: port(8091),
  /** The issuer; every public URL (discovery, endpoints) derives from it, never from request headers. */
  ISSUER: urlString().default('http://127.0.0.1:8081'),
  MONGO_URL: urlString().default('mongodb://127.0.0.1:27018/'),
  MONGO_DB: z.string().min(1).default('portico_key_manager'),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  ...kafkaTopicConfigShape,
  /** Bearer credential of the admin API (the store). The dev default is refused in production. */
  KEY_MANAGER_ADMIN_TOKEN: secret(z.string().min(16).default(DEV_ADMIN_TOKEN)),
  /** Key of the HMAC-SHA256 that turns token values into stored ids. Required in production. */
  TOKEN_HASH_KEY: secret(z.string().min(32).optional()),
  /**
   * AES-256-GCM keyring for persisted token payloads and signing keys: `kid:base64key,...`;
   * the first key encrypts new writes, all keys decrypt. Empty = payloads stored in clear.
   */
  PERSISTENCE_ENCRYPTION_KEYS: secret(z.string().default('')),
  /** Per-partition keyrings `A:kid:base64,...` (first key of each partition encrypts). */
  PARTITION_ENCRYPTION_KEYS: secret(z.string().default('')),
  /** WSO2 API Manager's EncryptPersistedTokens; only effective with a keyring. */
  ENCRYPT_PERSISTED_TOKENS: bool(true),
  /** Cookie signing keys (csv). Empty = random per process (dev only; breaks multi-replica). */
  COOKIE_KEYS: secret(csv('')),
  /** JSON JWKS ({keys:[...]}) with private signing keys; empty = generated once and persisted. */
  SIGNING_KEYS: secret(z.string().default('')),
  APPLICATION_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD: validity(3600),
  USER_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD: validity(3600),
  REFRESH_TOKEN_VALIDITY_PERIOD: positiveInt(86_400),
  AUTHORIZATION_CODE_VALIDITY_PERIOD: positiveInt(60),
  /** Per-domain user token validity: `PARTNERS.EXAMPLE.COM:600,STAFF.EXAMPLE.COM:-1`. */
  USER_STORE_TOKEN_VALIDITY: csv(''),
  /** The `aud` of every access token (the resource server: the gateway). */
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).max(256).default('portico-gateway'),
  /** Secondary user-store domains (PRIMARY always exists). */
  USER_STORE_DOMAINS: csv(''),
  /** Token partitions by user-store domain: `A:PARTNERS.EXAMPLE.COM,B:STAFF.EXAMPLE.COM`. */
  TOKEN_PARTITIONS: csv(''),
  GATEWAY_CLIENT_ID: z.string().min(1).max(256).default('portico-gateway'),
  GATEWAY_CLIENT_SECRET: secret(z.string().min(16).optional()),
  PORTAL_CLIENT_ID: z.string().min(1).max(256).default('portico-portal'),
  /** The store's OIDC login client; the dev default matches the store's and is refused in production. */
  PORTAL_CLIENT_SECRET: secret(z.string().min(16).default(DEV_PORTAL_SECRET)),
  PORTAL_REDIRECT_URIS: csv('http://127.0.0.1:8082/auth/callback'),
  PORTAL_POST_LOGOUT_REDIRECT_URIS: csv(''),
  /** Demo/bootstrap users: `DOMAIN/name:password:role1|role2;...` (created when missing). */
  BOOTSTRAP_USERS: secret(z.string().default('')),
  /** Token endpoint requests per minute. */
  TOKEN_RATE_LIMIT_PER_IP: positiveInt(600),
  /** Token requests per minute per (client id, source address): strangers cannot use it up. */
  TOKEN_RATE_LIMIT_PER_CLIENT: positiveInt(300),
  /** Failed client authentications per (client id, source address) per window (all replicas). */
  TOKEN_AUTH_FAILURES_PER_CLIENT_IP: positiveInt(20),
  TOKEN_AUTH_FAILURE_WINDOW_S: positiveInt(900),
  /**
   * How long (ms) a client record read to authenticate a token/introspection request is reused;
   * 0 = read it every time. Changes through this replica apply at once; other replicas see a new
   * secret, a disabled or deleted client within this time (docs/adr/0015).
   */
  CLIENT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /**
   * How long (ms) the stored record of an access token this replica issued is kept in memory (at
   * most 20 000), so introspecting it here needs no token lookup; expiry and revocations are still
   * checked on every use. 0 = off.
   */
  TOKEN_RECORD_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(600_000),
  /** Login form submissions per minute and client IP (password guessing). */
  LOGIN_RATE_LIMIT_PER_IP: positiveInt(30),
  /**
   * Per-account password failure delay, shared by the login form and the password grant and by
   * all replicas (docs/adr/0084): failures without delay, then a delay from the base doubling per
   * failure up to the cap; a count is forgotten this long after its delay ends, reset by a success.
   */
  PASSWORD_FAILURES_FREE: z.coerce.number().int().min(1).max(100).default(5),
  PASSWORD_FAILURE_BASE_DELAY_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  PASSWORD_FAILURE_MAX_DELAY_MS: z.coerce.number().int().min(1).max(3_600_000).default(900_000),
  PASSWORD_FAILURE_MEMORY_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  OUTBOX_POLL_MS: positiveInt(1000),
  OUTBOX_BATCH_SIZE: positiveInt(200),
  /** Retention of the compacted revocation topic (the key-manager owns it): at least the longest token lifetime. */
  REVOCATION_TOPIC_RETENTION_MS: positiveInt(DEFAULT_REVOCATION_RETENTION_MS),
});

export type Config = z.infer<typeof configSchema>;

/** Secrets that have development fallbacks must be real in production. */
export function assertProductionSecrets(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  if (!config.TOKEN_HASH_KEY) problems.push('TOKEN_HASH_KEY: required in production (got unset)');
  if (!config.GATEWAY_CLIENT_SECRET)
    problems.push('GATEWAY_CLIENT_SECRET: required in production (got unset)');
  if (config.COOKIE_KEYS.length === 0) problems.push('COOKIE_KEYS: required in production (got unset)');
  if (config.KEY_MANAGER_ADMIN_TOKEN === DEV_ADMIN_TOKEN) {
    problems.push('KEY_MANAGER_ADMIN_TOKEN: the development default is not allowed in production');
  }
  if (config.PORTAL_CLIENT_SECRET === DEV_PORTAL_SECRET) {
    problems.push('PORTAL_CLIENT_SECRET: the development default is not allowed in production');
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
