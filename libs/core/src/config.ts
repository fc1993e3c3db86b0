/**
 * Configuration comes from environment variables, validated once at start-up by a zod schema
 * whose keys are the variable names. A bad value fails fast with a message naming the variable.
 * Values of secret-looking variables are never printed.
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

const SECRET_NAME = /(SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY|_KEYS|KEYRING)$/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
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
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(config)';
      const received = input[name];
      const shown =
        received === undefined ? 'unset' : isSecretName(name) ? '[redacted]' : JSON.stringify(received);
      return `${name}: ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(problems);
  }
  return result.data;
}

/** A copy of the config safe to log: secrets redacted, passwords inside URLs masked. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (isSecretName(key) && value !== undefined) out[key] = '[redacted]';
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
