/**
 * The key-manager keeps its token-endpoint and login request windows in each process, so the
 * chart gives each replica its share of the total (docs/adr/0067); failed client
 * authentications are counted in MongoDB and need no division.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHART, helm, parseManifests, renderScenario } from './lib/tools.ts';

function keyManagerConfig(objects: Awaited<ReturnType<typeof renderScenario>>): Record<string, string> {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'portico-key-manager');
  assert.ok(cm, 'the key-manager ConfigMap');
  return cm.data as Record<string, string>;
}

test('per-replica request windows: the totals divided by the replicas (2 by default, the fewest with autoscaling)', async () => {
  const defaults = keyManagerConfig(await renderScenario('default'));
  assert.deepEqual(
    [
      defaults['TOKEN_RATE_LIMIT_PER_IP'],
      defaults['TOKEN_RATE_LIMIT_PER_CLIENT'],
      defaults['LOGIN_RATE_LIMIT_PER_IP'],
    ],
    ['300', '150', '15'],
  );
  assert.equal(defaults['TOKEN_AUTH_FAILURES_PER_CLIENT_IP'], '20', 'shared in MongoDB: not divided');
  const ha = keyManagerConfig(await renderScenario('ha'));
  assert.equal(ha['TOKEN_RATE_LIMIT_PER_IP'], '300', 'autoscaling: divided by minReplicas (2)');
  const five = await helm(['template', 'portico', CHART, '--set', 'keyManager.replicaCount=5']);
  assert.equal(five.code, 0, five.stderr);
  const cfg = keyManagerConfig(parseManifests(five.stdout));
  assert.equal(cfg['TOKEN_RATE_LIMIT_PER_IP'], '120');
  assert.equal(cfg['LOGIN_RATE_LIMIT_PER_IP'], '6');
});
