/**
 * The plain manifests (k8s/): the base is the chart rendered with k8s/base/values.yaml, and
 * both the base and the dev overlay build with kustomize into objects that pass the same
 * schema and best-practice checks as the chart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildKustomization, byKind, helm, parseManifests, ROOT } from './lib/tools.ts';
import { practiceProblems, schemaProblems, strictProblems } from './lib/validate.ts';

const BASE_SECRETS = [
  'portico-store-credentials',
  'portico-key-manager-credentials',
  'portico-gateway-credentials',
];

test('k8s/base/portico.yaml is what the chart renders from k8s/base/values.yaml (run k8s/render-base.sh)', async () => {
  const result = await helm([
    'template',
    'portico',
    join(ROOT, 'helm/portico'),
    '--values',
    join(ROOT, 'k8s/base/values.yaml'),
    '--skip-tests',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const committed = readFileSync(join(ROOT, 'k8s/base/portico.yaml'), 'utf8');
  assert.deepEqual(parseManifests(committed), parseManifests(result.stdout));
});

test('kustomize build k8s/base: valid objects that follow the best practices', async () => {
  const objects = await buildKustomization('k8s/base');
  assert.equal(byKind(objects, 'Deployment').length, 3);
  assert.deepEqual(byKind(objects, 'Secret'), [], 'no credentials in the base');
  assert.deepEqual(await schemaProblems(objects), []);
  assert.deepEqual(await strictProblems(objects), []);
  assert.deepEqual(practiceProblems(objects, BASE_SECRETS), []);
});

test('kustomize build k8s/overlays/dev: Portico plus Kafka, Redis and MongoDB, all valid and wired', async () => {
  const objects = await buildKustomization('k8s/overlays/dev');
  assert.deepEqual(
    byKind(objects, 'Deployment')
      .map((d) => `${d.metadata.name}:${d.spec.replicas}`)
      .sort(),
    ['kafka:1', 'mongodb:1', 'portico-gateway:1', 'portico-key-manager:1', 'portico-store:1', 'redis:1'],
  );
  assert.ok(objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'portico-dev'));
  assert.deepEqual(await schemaProblems(objects), []);
  assert.deepEqual(await strictProblems(objects), []);
  // No external Secrets: every secretKeyRef must resolve to a generated Secret and key.
  assert.deepEqual(practiceProblems(objects), []);
  // The connection settings point at the overlay's own Services.
  const services = new Set(byKind(objects, 'Service').map((s) => s.metadata.name));
  for (const name of ['kafka', 'redis', 'mongodb']) assert.ok(services.has(name), name);
  const gatewayConfig = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'portico-gateway');
  assert.equal(gatewayConfig?.data.KAFKA_BROKERS, 'kafka:9092');
});
