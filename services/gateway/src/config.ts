import { baseConfigShape, bool, ConfigError, csv, port, positiveInt, secret, urlString } from '@portico/core';
import { kafkaTopicConfigShape } from '@portico/events';
import { z } from 'zod';

/** host:port,host:port (IPv6 in brackets); empty means unset. */
const hostPortList = () =>
  csv('').pipe(
    z.array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port')),
  );

/** Every environment variable the gateway reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  /** Public proxy surface (exposed through the ingress). */
  PORT: port(8080),
  /** Admin surface: /readyz, /healthz, /metrics, /.well-known/jwks.json. Not exposed publicly. */
  ADMIN_PORT: port(9080),
  /** Name of this replica in logs and metrics (defaults to the host name). */
  GATEWAY_REPLICA_ID: z.string().max(128).default(''),

  /**
   * Redis: exactly one of REDIS_URL (one server), REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) or
   * REDIS_CLUSTER_NODES; none set means the local default URL (docs/adr/0037).
   */
  REDIS_URL: z.union([z.literal(''), urlString()]).default(''),
  /** Sentinels as host:port, comma-separated; the master's name is REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: hostPortList(),
  REDIS_SENTINEL_NAME: z.string().default(''),
  /** Cluster seed nodes as host:port, comma-separated (the rest are discovered). */
  REDIS_CLUSTER_NODES: hostPortList(),
  /** ACL user and password (also used for the sentinels); override any in REDIS_URL. */
  REDIS_USERNAME: z.string().default(''),
  REDIS_PASSWORD: secret(z.string().default('')),
  /** TLS to Redis (and the sentinels); REDIS_TLS_CA_FILE adds a CA bundle (PEM) to trust. */
  REDIS_TLS: bool(false),
  REDIS_TLS_CA_FILE: z.string().default(''),
  /** No braces: the keys' own {hash tags} choose the Cluster slot (docs/adr/0037). */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}]*$/, 'must not contain { or } (Redis Cluster hash tags)')
    .default('portico:'),
  /**
   * HMAC key (at least 32 characters) protecting the validation entries the replicas share in
   * Redis; every replica needs the same one. Required in production (docs/adr/0038).
   */
  CACHE_INTEGRITY_KEY: secret(
    z.union([z.literal(''), z.string().min(32, 'at least 32 characters')]).default(''),
  ),
  /** Every Redis command is bounded by this; a slow or dead Redis never holds a request longer. */
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  ...kafkaTopicConfigShape,

  /** Base URL the gateway uses to reach the key-manager (introspection, JWKS). */
  KEY_MANAGER_URL: urlString().default('http://127.0.0.1:8081'),
  /** Expected `iss` of access tokens; defaults to KEY_MANAGER_URL. */
  KEY_MANAGER_ISSUER: z.string().default(''),
  /** Expected `aud` of JWT access tokens (the key-manager's resource indicator). */
  TOKEN_AUDIENCE: z.string().min(1).default('portico-gateway'),
  /**
   * The base URL API consumers call (e.g. https://api.example.com behind an ingress): DPoP proofs
   * name it in `htu`. Empty: http://<Host of the request>.
   */
  PUBLIC_URL: z.union([z.literal(''), urlString()]).default(''),
  /** How far a DPoP proof's iat may be from now, either side; its jti is remembered twice as long. */
  DPOP_PROOF_MAX_AGE_SECONDS: positiveInt(60),
  GATEWAY_CLIENT_ID: z.string().min(1).default('portico-gateway'),
  GATEWAY_CLIENT_SECRET: secret(z.string().default('')),
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
  READ_MODEL_TOKEN: secret(z.string().default('')),

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
  BACKEND_JWT_SIGNING_KEY: secret(z.string().default('')),
  /**
   * Public keys (JSON JWKS) published with the signing key but never used to sign: the next key
   * before a rotation, the previous one after it (docs/adr/0085).
   */
  BACKEND_JWT_PUBLISHED_JWKS: z.string().default(''),

  UPSTREAM_TIMEOUT_MS: positiveInt(30_000),

  /** Answer CORS preflights and add Access-Control-Allow-Origin for browser callers. */
  CORS_ENABLED: bool(true),
  CORS_MAX_AGE_SECONDS: positiveInt(600),

  /** When Redis cannot be asked: `open` lets requests through, `closed` answers 503. */
  /** Requests per minute per client address and API on resources that need no token (0: no limit). */
  ANONYMOUS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().nonnegative().default(600),
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

/** Settings with development fallbacks must be real in production (Redis ones: redisSettings). */
export function assertProductionConfig(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  if (!config.GATEWAY_CLIENT_SECRET)
    problems.push('GATEWAY_CLIENT_SECRET: required in production (got unset)');
  if (config.BACKEND_JWT_ENABLED && !config.BACKEND_JWT_SIGNING_KEY) {
    problems.push('BACKEND_JWT_SIGNING_KEY: required in production when BACKEND_JWT_ENABLED (got unset)');
  }
  if (!config.READ_MODEL_FILE && !config.STORE_URL)
    problems.push('STORE_URL: required in production unless READ_MODEL_FILE is set (got unset)');
  if (problems.length > 0) throw new ConfigError(problems);
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:16379';

export type RedisTopology =
  | { mode: 'standalone'; url: string }
  | { mode: 'sentinel'; sentinels: HostPort[]; name: string }
  | { mode: 'cluster'; nodes: HostPort[] };

export interface HostPort {
  host: string;
  port: number;
}

export interface RedisSettings {
  topology: RedisTopology;
  username: string;
  password: string;
  tls: { caFile: string } | undefined;
  commandTimeoutMs: number;
}

/**
 * The Redis settings, checked across variables (zod's per-field schema cannot: one mode only,
 * the sentinel name with the sentinels). Throws ConfigError at start-up, like loadConfig.
 */
export function redisSettings(config: Config): RedisSettings {
  const problems: string[] = [];
  const set = [
    config.REDIS_URL && 'REDIS_URL',
    config.REDIS_SENTINELS.length > 0 && 'REDIS_SENTINELS',
    config.REDIS_CLUSTER_NODES.length > 0 && 'REDIS_CLUSTER_NODES',
  ].filter((v): v is string => Boolean(v));
  if (set.length > 1)
    problems.push(`${set.join(', ')}: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES`);
  if (config.REDIS_SENTINELS.length > 0 && !config.REDIS_SENTINEL_NAME)
    problems.push(
      "REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored master's name) (got unset)",
    );
  if (config.REDIS_SENTINEL_NAME && config.REDIS_SENTINELS.length === 0)
    problems.push('REDIS_SENTINELS: required with REDIS_SENTINEL_NAME (got unset)');
  if (config.REDIS_TLS_CA_FILE && !config.REDIS_TLS)
    problems.push('REDIS_TLS: must be true when REDIS_TLS_CA_FILE is set (got false)');
  if (config.NODE_ENV === 'production' && !config.CACHE_INTEGRITY_KEY)
    problems.push('CACHE_INTEGRITY_KEY: required in production (got unset)');
  if (problems.length > 0) throw new ConfigError(problems);
  const topology: RedisTopology =
    config.REDIS_SENTINELS.length > 0
      ? {
          mode: 'sentinel',
          sentinels: config.REDIS_SENTINELS.map(hostPort),
          name: config.REDIS_SENTINEL_NAME,
        }
      : config.REDIS_CLUSTER_NODES.length > 0
        ? { mode: 'cluster', nodes: config.REDIS_CLUSTER_NODES.map(hostPort) }
        : { mode: 'standalone', url: config.REDIS_URL || DEFAULT_REDIS_URL };
  return {
    topology,
    username: config.REDIS_USERNAME,
    password: config.REDIS_PASSWORD,
    tls: config.REDIS_TLS ? { caFile: config.REDIS_TLS_CA_FILE } : undefined,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  };
}

function hostPort(value: string): HostPort {
  const colon = value.lastIndexOf(':');
  return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(value.slice(colon + 1)) };
}
