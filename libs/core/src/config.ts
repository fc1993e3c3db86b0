/**
 * Configuration comes from environment variables, validated once at start-up by a zod schema
 * whose keys are the variable names. A bad value fails fast with a message naming the variable.
 * Fields wrapped in `secret()` are never printed: not in a validation error, not in the start-up
 * log. The schema says what is secret, not the variable's name (BOOTSTRAP_USERS holds passwords).
 */
import { z } from 'zod';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const secretFields = new WeakSet<z.ZodType>();

/** Marks a config field as secret (wrap the outermost schema, after `.default()`). */
export function secret<T extends z.ZodType>(field: T): T {
  secretFields.add(field);
  return field;
}

/** The variable names a schema marks secret. */
export function secretKeys(schema: z.ZodObject): Set<string> {
  const keys = new Set<string>();
  for (const [key, field] of Object.entries(schema.shape)) {
    if (secretFields.has(field as z.ZodType)) keys.add(key);
  }
  return keys;
}

export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings mean "unset" so that `FOO=` in a dotenv file falls back to the default.
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const secrets = secretKeys(schema);
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(config)';
      const received = input[name];
      const shown =
        received === undefined ? 'unset' : secrets.has(name) ? '[redacted]' : JSON.stringify(received);
      return `${name}: ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(problems);
  }
  return result.data;
}

/** A copy of the config safe to log: the schema's secrets redacted, passwords inside URLs masked. */
export function redactConfig(config: Record<string, unknown>, schema: z.ZodObject): Record<string, unknown> {
  const secrets = secretKeys(schema);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (secrets.has(key) && value !== undefined) out[key] = '[redacted]';
    else if (typeof value === 'string') out[key] = maskUrlCredentials(value);
    else out[key] = value;
  }
  return out;
}

export function maskUrlCredentials(value: string): string {
  return value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]*@/gi, '$1***@');
}

// Reusable field types. Keys are the environment variable names.
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const csv = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
export const urlString = () => z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, 'expected a URL');

/** Settings every service shares. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(15_000),
  BODY_LIMIT_BYTES: positiveInt(64 * 1024),
};
