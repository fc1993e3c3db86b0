import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import {
  baseConfigShape,
  bool,
  ConfigError,
  csv,
  loadConfig,
  maskUrlCredentials,
  port,
  redactConfig,
  secret,
} from '../src/index.ts';

const schema = z.object({
  ...baseConfigShape,
  PORT: port(8080),
  FEATURE_ON: bool(true),
  ORIGINS: csv(''),
  ADMIN_SECRET: secret(z.string().min(16)),
  // Secret by the schema, whatever the name says.
  USERS: secret(z.string().default('')),
  PUBLIC_TOKEN_NAME: z.string().default(''),
  MONGO_URL: z.string().default('mongodb://127.0.0.1:27018/'),
});

test('applies defaults and coerces types', () => {
  const config = loadConfig(schema, { ADMIN_SECRET: 'x'.repeat(16), ORIGINS: 'a, b,,c' });
  assert.equal(config.PORT, 8080);
  assert.equal(config.FEATURE_ON, true);
  assert.deepEqual(config.ORIGINS, ['a', 'b', 'c']);
  assert.equal(config.LOG_LEVEL, 'info');
});

test('empty string means unset', () => {
  const config = loadConfig(schema, { ADMIN_SECRET: 'x'.repeat(16), PORT: '' });
  assert.equal(config.PORT, 8080);
});

test('a bad variable fails with its name and value; secrets are not echoed', () => {
  assert.throws(
    () => loadConfig(schema, { PORT: 'eighty', ADMIN_SECRET: 'short-secret', FEATURE_ON: 'maybe' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT: .*\(got "eighty"\)/);
      assert.match(err.message, /FEATURE_ON: /);
      assert.match(err.message, /ADMIN_SECRET: .*\(got \[redacted\]\)/);
      assert.doesNotMatch(err.message, /short-secret/);
      return true;
    },
  );
});

test('a missing required variable is named', () => {
  assert.throws(() => loadConfig(schema, {}), /ADMIN_SECRET: .*got unset/);
});

test('redactConfig hides secrets and URL passwords', () => {
  const shown = redactConfig(
    { ADMIN_SECRET: 'abc', MONGO_URL: 'mongodb://user:pa55@db:27017/x', PORT: 1 },
    schema,
  );
  assert.equal(shown['ADMIN_SECRET'], '[redacted]');
  assert.equal(shown['MONGO_URL'], 'mongodb://user:***@db:27017/x');
  assert.equal(shown['PORT'], 1);
  assert.equal(maskUrlCredentials('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
});

test('redaction follows the schema, not the name: a secret() field with any name is hidden, others shown', () => {
  const shown = redactConfig(
    { USERS: 'alice:pa55word', PUBLIC_TOKEN_NAME: 'x-token', ADMIN_SECRET: 's' },
    schema,
  );
  assert.equal(shown['USERS'], '[redacted]');
  assert.equal(shown['PUBLIC_TOKEN_NAME'], 'x-token');
  assert.throws(
    () => loadConfig(schema, { ADMIN_SECRET: 'short' }),
    (err: unknown) =>
      err instanceof ConfigError && !err.message.includes('short') && /\[redacted\]/.test(err.message),
  );
});
