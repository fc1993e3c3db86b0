/**
 * values.schema.json and the chart's own checks turn a wrong value into a clear message that
 * names the value and what it should be, before anything reaches a cluster.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHART, helm } from './lib/tools.ts';

async function renderError(...sets: string[]): Promise<string> {
  const result = await helm(['template', 'portico', CHART, ...sets.flatMap((s) => ['--set', s])]);
  assert.notEqual(result.code, 0, `expected helm template to fail for ${sets.join(' ')}`);
  return result.stderr;
}

describe('values.schema.json rejects wrong values with a clear message', () => {
  test('an unknown pull policy names the allowed ones', async () => {
    const message = await renderError('image.pullPolicy=Sometimes');
    assert.match(message, /values don't meet the specifications of the schema/);
    assert.match(message, /at '\/image\/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'/);
  });

  test('a replica count of zero', async () => {
    const message = await renderError('gateway.replicaCount=0');
    assert.match(message, /at '\/gateway\/replicaCount': minimum: got 0, want 1/);
  });

  test('a health port that is neither http nor admin', async () => {
    const message = await renderError('keyManager.healthPort=public');
    assert.match(message, /at '\/keyManager\/healthPort': value must be one of 'http', 'admin'/);
  });

  test('an environment variable name that is not UPPER_SNAKE_CASE', async () => {
    const message = await renderError('store.config.logLevel=debug');
    assert.match(message, /'logLevel' does not match pattern/);
  });

  test('a misspelt top-level section', async () => {
    const message = await renderError('ingres.className=nginx');
    assert.match(message, /additional properties 'ingres' not allowed/);
  });

  test('a MongoDB URL that is not a mongodb:// URL', async () => {
    const message = await renderError('mongodb.url=postgres://db:5432/');
    assert.match(message, /at '\/mongodb\/url': '.*' does not match pattern/);
  });

  test('an unknown Redis mode and a node list that is not host:port', async () => {
    assert.match(
      await renderError('redis.mode=replicated'),
      /at '\/redis\/mode': value must be one of 'standalone', 'sentinel', 'cluster'/,
    );
    assert.match(await renderError('redis.cluster.nodes=redis://a:6379'), /at '\/redis\/cluster\/nodes'/);
  });

  test('the defaults pass', async () => {
    const result = await helm(['template', 'portico', CHART]);
    assert.equal(result.code, 0, result.stderr);
  });
});

describe('the chart rejects what a JSON schema cannot see, saying how to fix it', () => {
  test('a secret-looking variable in a ConfigMap', async () => {
    const message = await renderError('gateway.config.UPSTREAM_PASSWORD=x');
    assert.match(
      message,
      /gateway.config.UPSTREAM_PASSWORD looks like a secret: move it to gateway.secrets so it is stored in a Secret/,
    );
  });

  test('a grace period shorter than the drain', async () => {
    const message = await renderError('terminationGracePeriodSeconds=10');
    assert.match(
      message,
      /terminationGracePeriodSeconds \(10s\) is shorter than preStopSleepSeconds \+ \w+.config.SHUTDOWN_TIMEOUT_MS \(20000ms\): raise it to at least 21/,
    );
  });

  test('a secretKeyRef for a variable the service does not read', async () => {
    const message = await renderError(
      'store.secretKeyRefs.REDIS_URL.name=x',
      'store.secretKeyRefs.REDIS_URL.key=y',
    );
    assert.match(message, /store.secretKeyRefs.REDIS_URL names a variable the service does not read/);
  });

  test('Redis Sentinel or Cluster mode without its nodes', async () => {
    assert.match(
      await renderError('redis.mode=sentinel'),
      /redis.mode is sentinel: set redis.sentinel.nodes \(host:port,...\) and redis.sentinel.masterName/,
    );
    assert.match(await renderError('redis.mode=cluster'), /redis.mode is cluster: set redis.cluster.nodes/);
  });

  test('Redis authentication on without the Secret holding the password', async () => {
    const message = await renderError('redis.auth.passwordSecretRef.name=');
    assert.match(message, /redis.auth.enabled needs redis.auth.passwordSecretRef.name/);
  });

  test('HPA bounds the wrong way round', async () => {
    const message = await renderError(
      'gateway.autoscaling.enabled=true',
      'gateway.autoscaling.minReplicas=5',
      'gateway.autoscaling.maxReplicas=3',
    );
    assert.match(message, /gateway.autoscaling.maxReplicas must be >= minReplicas/);
  });
});
