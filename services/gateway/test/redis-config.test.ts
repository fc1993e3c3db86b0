/** The Redis settings: one topology out of three, credentials, TLS, the cache integrity key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@portico/core';
import { testLogger } from '@portico/testing';
import { configSchema, redisSettings } from '../src/config.ts';
import { createRedisClient } from '../src/redis.ts';

const settings = (env: Record<string, string>) => redisSettings(loadConfig(configSchema, env));
const problems = (env: Record<string, string>): string[] => {
  try {
    settings(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('Redis topology settings', () => {
  it('none set: the single local Redis; REDIS_URL: that server', () => {
    assert.deepEqual(settings({}).topology, { mode: 'standalone', url: 'redis://127.0.0.1:16379' });
    assert.deepEqual(settings({ REDIS_URL: 'rediss://cache:6380' }).topology, {
      mode: 'standalone',
      url: 'rediss://cache:6380',
    });
  });

  it('REDIS_SENTINELS with REDIS_SENTINEL_NAME: the Sentinel-managed master', () => {
    assert.deepEqual(
      settings({ REDIS_SENTINELS: 's1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' }).topology,
      {
        mode: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'mymaster',
      },
    );
  });

  it('REDIS_CLUSTER_NODES: the cluster seeds', () => {
    assert.deepEqual(settings({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).topology, {
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
    });
  });

  it('refuses two topologies at once, a sentinel list without the master name and the name alone', () => {
    assert.match(
      problems({ REDIS_URL: 'redis://x:6379', REDIS_CLUSTER_NODES: 'a:7000' }).join(),
      /set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES/,
    );
    assert.match(
      problems({
        REDIS_SENTINELS: 's:26379',
        REDIS_CLUSTER_NODES: 'a:7000',
        REDIS_SENTINEL_NAME: 'm',
      }).join(),
      /set only one/,
    );
    assert.match(
      problems({ REDIS_SENTINELS: 's:26379' }).join(),
      /^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/,
    );
    assert.match(
      problems({ REDIS_SENTINEL_NAME: 'm' }).join(),
      /^REDIS_SENTINELS: required with REDIS_SENTINEL_NAME/,
    );
  });

  it('refuses host lists that are not host:port and a key prefix with hash-tag braces', () => {
    assert.throws(
      () => loadConfig(configSchema, { REDIS_CLUSTER_NODES: 'a:7000,b' }),
      /REDIS_CLUSTER_NODES.*host:port/,
    );
    assert.throws(() => loadConfig(configSchema, { REDIS_SENTINELS: 'redis://s:26379' }), /REDIS_SENTINELS/);
    assert.throws(
      () => loadConfig(configSchema, { REDIS_KEY_PREFIX: 'p{x}:' }),
      /REDIS_KEY_PREFIX: must not contain/,
    );
  });

  it('credentials and TLS apply to every topology; a CA file needs REDIS_TLS=true', () => {
    const s = settings({
      REDIS_CLUSTER_NODES: 'a:7000',
      REDIS_USERNAME: 'portico',
      REDIS_PASSWORD: 'pw',
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: '/etc/ca.pem',
    });
    assert.deepEqual([s.username, s.password, s.tls], ['portico', 'pw', { caFile: '/etc/ca.pem' }]);
    assert.equal(settings({}).tls, undefined);
    assert.match(problems({ REDIS_TLS_CA_FILE: '/etc/ca.pem' }).join(), /^REDIS_TLS: must be true/);
    assert.throws(
      () =>
        createRedisClient(
          settings({ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }),
          testLogger(),
        ),
      (err: Error) =>
        err instanceof ConfigError &&
        /REDIS_TLS_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/.test(err.message),
    );
  });

  it('production requires CACHE_INTEGRITY_KEY; a key is at least 32 characters and is never echoed', () => {
    assert.deepEqual(problems({ NODE_ENV: 'production' }), [
      'CACHE_INTEGRITY_KEY: required in production (got unset)',
    ]);
    assert.deepEqual(problems({ NODE_ENV: 'production', CACHE_INTEGRITY_KEY: 'k'.repeat(32) }), []);
    assert.throws(
      () => loadConfig(configSchema, { CACHE_INTEGRITY_KEY: 'short-secret' }),
      (err: Error) => /CACHE_INTEGRITY_KEY/.test(err.message) && !err.message.includes('short-secret'),
    );
    assert.throws(
      () => loadConfig(configSchema, { REDIS_PASSWORD: '', REDIS_URL: 'not a url' }),
      /REDIS_URL: expected a URL/,
    );
  });
});
