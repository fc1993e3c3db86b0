/**
 * No drift between the deployment and the services: the environment variables each Deployment
 * sets (its ConfigMap via envFrom plus its secretKeyRefs) are exactly the keys of the service's
 * zod config schema, in every chart scenario and in the kustomize output. And the values the
 * chart sets by default are accepted by those schemas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, secretKeys } from '../../libs/core/src/config.ts';
import { configSchema as gatewaySchema, redisSettings } from '../../services/gateway/src/config.ts';
import { configSchema as keyManagerSchema } from '../../services/key-manager/src/config.ts';
import { configSchema as storeSchema } from '../../services/store/src/config.ts';
import type { K8sObject } from './lib/tools.ts';
import { buildKustomization, find, renderScenario, SCENARIOS } from './lib/tools.ts';

const SERVICES = [
  { component: 'store', valuesKey: 'store', schema: storeSchema },
  { component: 'key-manager', valuesKey: 'keyManager', schema: keyManagerSchema },
  { component: 'gateway', valuesKey: 'gateway', schema: gatewaySchema },
] as const;

function deploymentOf(objects: K8sObject[], component: string): K8sObject {
  const found = objects.find(
    (o) =>
      o.kind === 'Deployment' && o.spec.template.metadata.labels['app.kubernetes.io/component'] === component,
  );
  if (!found) throw new Error(`no Deployment for ${component}`);
  return found;
}

/** Every variable the container gets, with where it comes from. */
function environment(objects: K8sObject[], deployment: K8sObject): Map<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const cm = find(objects, 'ConfigMap', from.configMapRef.name);
    for (const key of Object.keys(cm.data ?? {})) env.set(key, `ConfigMap ${cm.metadata.name}`);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env.set(e.name, ref ? `Secret ${ref.name}/${ref.key}` : 'value');
  }
  return env;
}

/** The values each variable of the Deployment gets; a Secret outside the chart gives a placeholder. */
function renderedValues(objects: K8sObject[], deployment: K8sObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, source] of environment(objects, deployment)) {
    const [kind, ref] = source.split(' ');
    if (kind === 'ConfigMap') {
      values[name] = find(objects, 'ConfigMap', ref!).data[name];
      continue;
    }
    const [secretName, key] = ref!.split('/');
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === secretName);
    // A Secret the platform provides (the Redis password by default): not the chart's to fill.
    if (!secret) {
      values[name] = `from-secret-${secretName}`;
      continue;
    }
    values[name] =
      secret.stringData?.[key!] ?? Buffer.from(secret.data?.[key!] ?? '', 'base64').toString('utf8');
  }
  return values;
}

function drift(valuesKey: string, names: Iterable<string>, schemaKeys: string[]): string[] {
  const set = new Set(names);
  const problems: string[] = [];
  for (const key of schemaKeys) {
    if (!set.has(key)) {
      problems.push(
        `${key} is read by the service but not set: add it to ${valuesKey}.config (or ${valuesKey}.secrets) in helm/portico/values.yaml with a ## @param line`,
      );
    }
  }
  for (const name of set) {
    if (!schemaKeys.includes(name)) {
      problems.push(
        `${name} is set but the service's config schema does not read it: remove it from ${valuesKey}`,
      );
    }
  }
  return problems;
}

describe('chart environment = config schema keys', () => {
  for (const scenario of SCENARIOS) {
    for (const { component, valuesKey, schema } of SERVICES) {
      test(`${scenario}: ${component}`, async () => {
        const objects = await renderScenario(scenario);
        const env = environment(objects, deploymentOf(objects, component));
        assert.deepEqual(drift(valuesKey, env.keys(), Object.keys(schema.shape)), []);
      });
    }
  }
});

describe('what a schema marks secret comes from a Secret, never a ConfigMap', () => {
  for (const scenario of SCENARIOS) {
    for (const { component, schema } of SERVICES) {
      test(`${scenario}: ${component}`, async () => {
        const objects = await renderScenario(scenario);
        const env = environment(objects, deploymentOf(objects, component));
        const misplaced = [...secretKeys(schema)]
          .filter((key) => env.has(key) && !env.get(key)!.startsWith('Secret '))
          .map((key) => `${key}: ${env.get(key)}`);
        assert.deepEqual(misplaced, []);
      });
    }
  }
});

describe('kustomize environment = config schema keys', () => {
  for (const dir of ['k8s/base', 'k8s/overlays/dev']) {
    for (const { component, valuesKey, schema } of SERVICES) {
      test(`${dir}: ${component}`, async () => {
        const objects = await buildKustomization(dir);
        const env = environment(objects, deploymentOf(objects, component));
        assert.deepEqual(drift(valuesKey, env.keys(), Object.keys(schema.shape)), []);
      });
    }
  }
});

describe('the drift check can fail', () => {
  test('a variable the schema reads but the chart does not set, and one the chart sets for nothing', () => {
    const problems = drift('gateway', ['PORT', 'UNUSED_SETTING'], ['PORT', 'NEW_SETTING']);
    assert.deepEqual(problems, [
      'NEW_SETTING is read by the service but not set: add it to gateway.config (or gateway.secrets) in helm/portico/values.yaml with a ## @param line',
      "UNUSED_SETTING is set but the service's config schema does not read it: remove it from gateway",
    ]);
  });
});

describe('the chart defaults are valid configuration', () => {
  for (const { component, schema } of SERVICES) {
    test(`default values: ${component} loads its rendered environment without a config error`, async () => {
      const objects = await renderScenario('default');
      const deployment = deploymentOf(objects, component);
      const values = renderedValues(objects, deployment);
      const config = loadConfig(schema, values) as Record<string, unknown>;
      assert.equal(config['NODE_ENV'], 'production');
      assert.equal(config['HOST'], '0.0.0.0');
    });
  }

  for (const scenario of ['default', 'redis-sentinel', 'redis-cluster'] as const) {
    test(`${scenario}: the gateway's Redis settings pass its cross-field checks (one topology, auth, integrity key)`, async () => {
      const objects = await renderScenario(scenario);
      const values = renderedValues(objects, deploymentOf(objects, 'gateway'));
      const settings = redisSettings(loadConfig(gatewaySchema, values));
      const expected = { default: 'standalone', 'redis-sentinel': 'sentinel', 'redis-cluster': 'cluster' };
      assert.equal(settings.topology.mode, expected[scenario]);
      assert.equal(
        settings.password,
        `from-secret-${scenario === 'redis-cluster' ? 'redis-cluster' : 'redis'}`,
      );
    });
  }
});
