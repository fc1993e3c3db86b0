import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@portico/core';
import { configSchema, productionProblems } from '../src/config.ts';

describe('store configuration', () => {
  it('has working development defaults', () => {
    const config = loadConfig(configSchema, {});
    assert.equal(config.PORT, 8082);
    assert.equal(config.TOKEN_VALIDITY_DEFAULT_SECONDS, 3600);
    assert.deepEqual(productionProblems(config), []);
  });

  it('refuses the development secrets in production', () => {
    const config = loadConfig(configSchema, {
      NODE_ENV: 'production',
      READ_MODEL_TOKEN: 'a-real-read-model-token-123',
    });
    assert.deepEqual(
      productionProblems(config).map((p) => p.split(':')[0]),
      ['KEY_MANAGER_ADMIN_TOKEN', 'PORTAL_CLIENT_SECRET'],
    );
  });

  it('names the bad variable', () => {
    assert.throws(
      () => loadConfig(configSchema, { TOKEN_VALIDITY_MIN_SECONDS: '-3' }),
      /TOKEN_VALIDITY_MIN_SECONDS/,
    );
  });
});
