/**
 * The chart installed as a user installs it, on a real control plane (kube-apiserver, etcd,
 * controller-manager, scheduler) whose nodes are kwok's (scripts/k8s.sh, ADR 0044): PodSecurity
 * admission, rollouts, Service endpoints, the `helm test` hook, upgrade and rollback, immutable
 * selectors, and the plain manifests of k8s/. Images never run: kwok marks pods Running and Ready.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { K8sObject } from '../lib/tools.ts';
import { CHART, parseManifests, ROOT } from '../lib/tools.ts';
import {
  createReferencedSecrets,
  getObject,
  getObjects,
  helmOnCluster as helm,
  kubectl,
  kubectlOk,
  restrictedNamespace,
  rolloutProblems,
  servicesWithoutEndpoints,
  startCluster,
  stopCluster,
} from './cluster.ts';

const WAIT = ['--wait', '--timeout', '150s'];

/** The documented scenarios (helm/portico/ci) plus the backend JWT key from a Secret. */
const INSTALLS: Record<string, string[]> = {
  default: [],
  ha: ['--values', join(CHART, 'ci/ha-values.yaml')],
  'existing-secrets': ['--values', join(CHART, 'ci/existing-secrets-values.yaml')],
  servicemonitor: ['--values', join(CHART, 'ci/servicemonitor-values.yaml')],
  'redis-sentinel': ['--values', join(CHART, 'ci/redis-sentinel-values.yaml')],
  'redis-cluster': ['--values', join(CHART, 'ci/redis-cluster-values.yaml')],
  'backend-jwt-secret': [
    '--set',
    'gateway.secretKeyRefs.BACKEND_JWT_SIGNING_KEY.name=backend-jwt-key',
    '--set',
    'gateway.secretKeyRefs.BACKEND_JWT_SIGNING_KEY.key=private.pem',
  ],
};

// The Prometheus Operator's kinds the servicemonitor scenario creates, as open schemas: the test is
// about the chart, not the operator.
const OPERATOR_CRDS = ['ServiceMonitor', 'PrometheusRule'].map((kind) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.monitoring.coreos.com` },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
}));

async function render(args: string[], namespace: string, release = 'portico'): Promise<K8sObject[]> {
  const r = await helm(['template', release, CHART, '--namespace', namespace, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return parseManifests(r.stdout);
}

/** Server-side dry run of every rendered object: the API server's validation and admission, nothing stored. */
async function serverDryRun(objects: K8sObject[], namespace: string) {
  return kubectl(
    ['apply', '--dry-run=server', '-n', namespace, '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
}

/** Installs a scenario the way a user does and checks everything came up. */
async function installAndCheck(name: string, args: string[]) {
  const ns = await restrictedNamespace(`it-${name}`);
  const objects = await render(args, ns);
  await createReferencedSecrets(objects, ns);
  // A pod template PodSecurity refuses would only show as a rollout that never ends: fail here, clearly.
  const dry = await serverDryRun(objects, ns);
  assert.equal(dry.code, 0, dry.stderr);
  assert.doesNotMatch(dry.stderr, /violate PodSecurity/, dry.stderr);
  const install = await helm(['install', 'portico', CHART, '--namespace', ns, ...args, ...WAIT]);
  assert.equal(install.code, 0, install.stderr);
  assert.doesNotMatch(install.stderr, /violate PodSecurity/);
  assert.deepEqual(await rolloutProblems(ns), []);
  const deployments = await getObjects('deployments', ns);
  assert.equal(deployments.length, 3, 'store, key-manager and gateway');
  assert.deepEqual(await servicesWithoutEndpoints(ns), []);
  const t = await helm(['test', 'portico', '--namespace', ns, '--timeout', '90s']);
  assert.equal(t.code, 0, `${t.stdout}\n${t.stderr}`);
  assert.match(t.stdout, /Phase:\s+Succeeded/);
  await helm(['uninstall', 'portico', '--namespace', ns, '--wait=false']);
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
}

let serverVersion = '';

before(async () => {
  serverVersion = await startCluster();
  console.log(`# Kubernetes control plane ${serverVersion} (kwok nodes)`);
  await kubectlOk(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: OPERATOR_CRDS }),
  );
  await kubectlOk(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
});

after(async () => {
  await stopCluster();
});

test('the control plane is the Kubernetes version the chart is tested against', () => {
  assert.equal(serverVersion, 'v1.37.2');
});

describe('helm install --wait into a PodSecurity restricted namespace rolls out, serves endpoints and passes helm test', {
  concurrency: 2,
}, () => {
  for (const [name, args] of Object.entries(INSTALLS)) {
    test(name, () => installAndCheck(name, args));
  }
});

test('values that would violate PodSecurity restricted are refused by values.schema.json before the server', async () => {
  const ns = await restrictedNamespace('it-psa');
  const violations = [
    'containerSecurityContext.allowPrivilegeEscalation=true',
    // privileged needs allowPrivilegeEscalation too, or the API server's own validation refuses it first.
    'containerSecurityContext.privileged=true,containerSecurityContext.allowPrivilegeEscalation=true',
    'containerSecurityContext.runAsNonRoot=false',
    'containerSecurityContext.capabilities.add={NET_ADMIN}',
    'containerSecurityContext.capabilities.drop={CHOWN}',
    'podSecurityContext.runAsNonRoot=false',
    'podSecurityContext.runAsUser=0',
    'podSecurityContext.seccompProfile.type=Unconfined',
  ];
  for (const violation of violations) {
    // No --wait: were the schema to let it through, the failure is immediate rather than a rollout timeout.
    const r = await helm(['install', 'portico', CHART, '--namespace', ns, '--set', violation]);
    assert.notEqual(r.code, 0, `${violation} was accepted`);
    assert.match(r.stderr, /values don't meet the specifications of the schema/, `${violation}: ${r.stderr}`);
    // The server alone would only warn on the Deployment and the rollout would never finish.
    const skipped = await render(['--skip-schema-validation', '--set', violation], ns);
    const dry = await serverDryRun(skipped, ns);
    assert.match(dry.stderr, /would violate PodSecurity "restricted:latest"/, `${violation}: ${dry.stderr}`);
  }
  assert.equal((await helm(['list', '--namespace', ns, '--all', '-q'])).stdout.trim(), '');
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('helm upgrade and rollback', () => {
  const ns = 'it-upgrade';
  const generated = async () => (await getObject('secret', 'portico-generated', ns))['data'];
  const template = async (d: string) => (await getObject('deployment', `portico-${d}`, ns))['spec'].template;
  let firstSecrets: Record<string, string>;

  test('an upgrade changing the image tag, replicas and a config value rolls out and keeps generated secrets', async () => {
    await restrictedNamespace(ns);
    await createReferencedSecrets(await render([], ns), ns);
    const install = await helm(['install', 'portico', CHART, '--namespace', ns, ...WAIT]);
    assert.equal(install.code, 0, install.stderr);
    firstSecrets = await generated();
    const storeBefore = await template('store');
    const up = await helm([
      'upgrade',
      'portico',
      CHART,
      '--namespace',
      ns,
      ...WAIT,
      '--set',
      'image.tag=0.2.0',
      '--set',
      'gateway.replicaCount=3',
      '--set',
      'store.config.LOG_LEVEL=debug',
    ]);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(await rolloutProblems(ns), []);
    const gateway = await getObject('deployment', 'portico-gateway', ns);
    assert.equal(gateway['spec'].replicas, 3);
    assert.equal(gateway['status'].readyReplicas, 3);
    for (const d of ['store', 'key-manager', 'gateway']) {
      assert.match((await template(d)).spec.containers[0].image, /:0\.2\.0$/, d);
    }
    const storeAfter = await template('store');
    assert.notEqual(
      storeAfter.metadata.annotations['checksum/config'],
      storeBefore.metadata.annotations['checksum/config'],
    );
    const cm = await getObject('configmap', 'portico-store', ns);
    assert.equal(cm['data'].LOG_LEVEL, 'debug');
    // A new ReplicaSet per Deployment carries the new template; the old ones are scaled to zero.
    const sets = (await getObjects('replicasets', ns)).filter(
      (r) => r.metadata.labels?.['app.kubernetes.io/component'] === 'store',
    );
    assert.equal(sets.length, 2);
    assert.deepEqual(sets.map((r) => r['status'].replicas ?? 0).sort(), [0, 2]);
    assert.deepEqual(await generated(), firstSecrets);
    assert.deepEqual(await servicesWithoutEndpoints(ns), []);
  });

  test('helm rollback returns to the first revision', async () => {
    const r = await helm(['rollback', 'portico', '1', '--namespace', ns, ...WAIT]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await rolloutProblems(ns), []);
    assert.equal((await getObject('deployment', 'portico-gateway', ns))['spec'].replicas, 2);
    assert.match((await template('gateway')).spec.containers[0].image, /:0\.1\.0$/);
    assert.equal((await getObject('configmap', 'portico-store', ns))['data'].LOG_LEVEL, 'info');
    assert.deepEqual(await generated(), firstSecrets);
    const history = JSON.parse(
      (await helm(['history', 'portico', '--namespace', ns, '-o', 'json'])).stdout,
    ) as {
      revision: number;
      status: string;
      description: string;
    }[];
    assert.deepEqual(history.at(-1), {
      ...history.at(-1)!,
      revision: 3,
      status: 'deployed',
      description: 'Rollback to 1',
    });
    await helm(['uninstall', 'portico', '--namespace', ns, '--wait=false']);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });
});

test('an upgrade changing nameOverride keeps every selector (selectors are immutable)', async () => {
  const ns = await restrictedNamespace('it-selectors');
  const names = ['--set', 'fullnameOverride=portico'];
  await createReferencedSecrets(await render(names, ns), ns);
  const install = await helm(['install', 'portico', CHART, '--namespace', ns, ...names, ...WAIT]);
  assert.equal(install.code, 0, install.stderr);
  const selectors = async () =>
    Object.fromEntries(
      (await getObjects('deployments', ns)).map((d) => [d.metadata.name, d['spec'].selector]),
    );
  const before = await selectors();
  const up = await helm([
    'upgrade',
    'portico',
    CHART,
    '--namespace',
    ns,
    ...names,
    '--set',
    'nameOverride=apim',
    ...WAIT,
  ]);
  assert.equal(up.code, 0, `the upgrade must not touch an immutable selector:\n${up.stderr}`);
  assert.deepEqual(await selectors(), before);
  assert.deepEqual(await rolloutProblems(ns), []);
  assert.deepEqual(await servicesWithoutEndpoints(ns), []);
  // What the chart avoids: the server refuses a changed selector outright, on apply, not by timing out.
  const d = await getObject('deployment', 'portico-gateway', ns);
  d['spec'].selector.matchLabels['app.kubernetes.io/name'] = 'changed';
  d['spec'].template.metadata.labels['app.kubernetes.io/name'] = 'changed';
  const changed = await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(d));
  assert.notEqual(changed.code, 0);
  assert.match(changed.stderr, /field is immutable/);
  await helm(['uninstall', 'portico', '--namespace', ns, '--wait=false']);
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

test('kubectl apply -k k8s/base rolls out in a PodSecurity restricted namespace', async () => {
  const ns = await restrictedNamespace('it-kustomize');
  const built = parseManifests(await kubectlOk(['kustomize', join(ROOT, 'k8s/base')]));
  await createReferencedSecrets(built, ns);
  const applied = await kubectl(['apply', '-k', join(ROOT, 'k8s/base'), '-n', ns]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.doesNotMatch(applied.stderr, /violate PodSecurity/);
  for (const d of ['store', 'key-manager', 'gateway']) {
    const r = await kubectl(['rollout', 'status', `deployment/portico-${d}`, '-n', ns, '--timeout=120s']);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(await servicesWithoutEndpoints(ns), []);
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});
