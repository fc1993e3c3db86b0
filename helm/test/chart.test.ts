/**
 * The Helm chart, proven by rendering: lint, every ci/ scenario valid against the Kubernetes
 * schemas and the best-practice rules, and the behaviour each scenario promises.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { parseCatalog } from '../../services/store/src/catalog-file.ts';
import type { K8sObject, Scenario } from './lib/tools.ts';
import { byKind, CHART, find, helm, renderChart, renderScenario, SCENARIOS } from './lib/tools.ts';
import { practiceProblems, schemaProblems, strictProblems } from './lib/validate.ts';

// Secrets the platform team provides; `redis` is the default Redis password reference (redis.auth).
const EXTERNAL_SECRETS: Record<Scenario, string[]> = {
  default: ['redis'],
  ha: ['redis'],
  'existing-secrets': [
    'portico-store-credentials',
    'portico-key-manager-credentials',
    'portico-gateway-credentials',
    'redis-operator-connection',
  ],
  servicemonitor: ['redis'],
  'redis-sentinel': ['redis', 'redis-ca'],
  'redis-cluster': ['redis-cluster'],
};

const rendered = new Map<Scenario, Promise<K8sObject[]>>();
function scenario(name: Scenario): Promise<K8sObject[]> {
  if (!rendered.has(name)) rendered.set(name, renderScenario(name));
  return rendered.get(name)!;
}

function container(deployment: K8sObject) {
  return deployment.spec.template.spec.containers[0];
}

test('helm lint --strict passes for the defaults and every ci/ scenario', async () => {
  for (const name of SCENARIOS) {
    const result = await helm([
      'lint',
      '--strict',
      CHART,
      '--values',
      join(CHART, 'ci', `${name}-values.yaml`),
    ]);
    assert.equal(result.code, 0, `${name}:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

describe('every ci/ scenario renders valid, well-behaved objects', () => {
  for (const name of SCENARIOS) {
    test(`${name}: every object passes the Kubernetes schema`, async () => {
      const objects = await scenario(name);
      assert.ok(objects.length > 10, `${name} rendered only ${objects.length} objects`);
      assert.deepEqual(await schemaProblems(objects), []);
    });
    test(`${name}: every built-in object decodes strictly with the Kubernetes Go types`, async () => {
      assert.deepEqual(await strictProblems(await scenario(name)), []);
    });
    test(`${name}: every workload passes the best-practice checks`, async () => {
      assert.deepEqual(practiceProblems(await scenario(name), EXTERNAL_SECRETS[name]), []);
    });
  }
});

describe('the checks can fail', () => {
  test('schema validation rejects a malformed object', async () => {
    const objects = await scenario('default');
    const broken = structuredClone(find(objects, 'Deployment', 'portico-gateway'));
    container(broken).ports[0].containerPort = 'eighty';
    const problems = await schemaProblems([broken]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /Deployment\/portico-gateway: .*containerPort must be integer/);
  });

  test('strict decoding rejects a misspelt field that the OpenAPI schema lets through', async () => {
    const objects = await scenario('default');
    const broken = structuredClone(find(objects, 'Deployment', 'portico-store'));
    container(broken).readinesProbe = container(broken).readinessProbe;
    assert.deepEqual(await schemaProblems([broken]), [], 'the OpenAPI schemas allow unknown fields');
    assert.deepEqual(await strictProblems([broken]), [
      'Deployment/portico-store: strict decoding error: unknown field "spec.template.spec.containers[0].readinesProbe"',
    ]);
  });

  test('schema validation rejects an unknown kind', async () => {
    const problems = await schemaProblems([
      { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } },
    ]);
    assert.match(problems[0]!, /no schema for example.com\/v1 Thing/);
  });

  test('the best-practice check names each missing protection', async () => {
    const objects = structuredClone(await scenario('default'));
    const gateway = find(objects, 'Deployment', 'portico-gateway');
    delete container(gateway).resources.limits;
    delete container(gateway).readinessProbe;
    container(gateway).securityContext = {};
    gateway.spec.template.spec.securityContext = {};
    const problems = practiceProblems(objects).filter((p) => p.includes('portico-gateway'));
    for (const expected of [
      /limits.cpu and .memory must be set/,
      /readinessProbe missing/,
      /runAsNonRoot must be true/,
      /readOnlyRootFilesystem must be true/,
      /allowPrivilegeEscalation must be false/,
      /capabilities.drop must include ALL/,
    ]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} not in ${problems.join('\n')}`,
      );
    }
  });

  test('the wiring check finds a Service selecting nothing', async () => {
    const objects = structuredClone(await scenario('default'));
    find(objects, 'Service', 'portico-store').spec.selector['app.kubernetes.io/component'] = 'nope';
    assert.deepEqual(practiceProblems(objects, EXTERNAL_SECRETS.default), [
      'Service/portico-store: selector matches no workload',
    ]);
  });
});

describe('what the chart promises', () => {
  test('no Ingress routes to an admin port', async () => {
    for (const name of SCENARIOS) {
      const objects = await scenario(name);
      const ingresses = byKind(objects, 'Ingress');
      assert.equal(ingresses.length, 3);
      for (const ing of ingresses) {
        for (const path of ing.spec.rules.flatMap((r: K8sObject) => r.http.paths)) {
          assert.deepEqual(path.backend.service.port, { name: 'http' }, ing.metadata.name);
        }
      }
      const hosts = ingresses.map(
        (i) => `${i.spec.rules[0].host}->${i.spec.rules[0].http.paths[0].backend.service.name}`,
      );
      assert.deepEqual(hosts.sort(), [
        'api.portico.example.com->portico-gateway',
        'auth.portico.example.com->portico-key-manager',
        'portal.portico.example.com->portico-store',
      ]);
    }
  });

  test("the key-manager's admin port admits only the store (and the helm test pod)", async () => {
    const objects = await scenario('default');
    const policy = find(objects, 'NetworkPolicy', 'portico-key-manager');
    const adminRule = policy.spec.ingress.find((r: K8sObject) => r.ports[0].port === 'admin');
    assert.deepEqual(
      adminRule.from.map((f: K8sObject) => f.podSelector.matchLabels['app.kubernetes.io/component']),
      ['store', 'helm-test'],
    );
    const publicRule = policy.spec.ingress.find((r: K8sObject) => r.ports[0].port === 'http');
    assert.equal(publicRule.from, undefined, 'the public port is open');
    const service = find(objects, 'Service', 'portico-key-manager');
    assert.deepEqual(
      service.spec.ports.map((p: K8sObject) => `${p.name}:${p.port}`),
      ['http:8081', 'admin:8091'],
    );
  });

  test('probes use /healthz and /readyz on the port that serves them; drain fits the grace period', async () => {
    const objects = await scenario('default');
    const expected = { 'portico-store': 'http', 'portico-key-manager': 'http', 'portico-gateway': 'admin' };
    for (const [name, port] of Object.entries(expected)) {
      const d = find(objects, 'Deployment', name);
      const c = container(d);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port });
      assert.deepEqual(c.lifecycle.preStop.exec.command, ['sleep', '5']);
      const config = find(objects, 'ConfigMap', name).data;
      const drainMs = 5000 + Number(config.SHUTDOWN_TIMEOUT_MS);
      assert.ok(d.spec.template.spec.terminationGracePeriodSeconds * 1000 > drainMs, name);
      assert.equal(config.HOST, '0.0.0.0', `${name} must listen on all interfaces in a pod`);
    }
  });

  test('HA: three gateway replicas at least, owned by an HPA', async () => {
    const objects = await scenario('ha');
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'portico-gateway');
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(hpa.spec.maxReplicas, 12);
    assert.equal(find(objects, 'Deployment', 'portico-gateway').spec.replicas, undefined);
    assert.equal(find(objects, 'PodDisruptionBudget', 'portico-gateway').spec.maxUnavailable, 1);
    // Large numbers reach the service as integers, not "1e+06".
    assert.equal(find(objects, 'ConfigMap', 'portico-gateway').data.TOKEN_CACHE_MAX_ENTRIES, '1000000');
    assert.equal(byKind((await scenario('default')) ?? [], 'HorizontalPodAutoscaler').length, 0);
  });

  test('existing Secrets: the chart creates no credentials and reads them from the named Secrets', async () => {
    const objects = await scenario('existing-secrets');
    assert.deepEqual(byKind(objects, 'Secret'), []);
    const gateway = container(find(objects, 'Deployment', 'portico-gateway'));
    const refs = Object.fromEntries(
      gateway.env.map((e: K8sObject) => [
        e.name,
        `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
      ]),
    );
    assert.equal(refs.REDIS_URL, 'redis-operator-connection/url');
    assert.equal(refs.GATEWAY_CLIENT_SECRET, 'portico-gateway-credentials/GATEWAY_CLIENT_SECRET');
    const store = container(find(objects, 'Deployment', 'portico-store'));
    assert.ok(
      store.env.every((e: K8sObject) => e.valueFrom.secretKeyRef.name === 'portico-store-credentials'),
    );
  });

  test('generated credentials are shared by every service reading the same name, never in a ConfigMap', async () => {
    const objects = await scenario('default');
    const generated = find(objects, 'Secret', 'portico-generated');
    assert.equal(generated.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    const sources = (name: string, variable: string) =>
      container(find(objects, 'Deployment', name)).env.find((e: K8sObject) => e.name === variable)?.valueFrom
        .secretKeyRef;
    assert.deepEqual(
      sources('portico-store', 'KEY_MANAGER_ADMIN_TOKEN'),
      sources('portico-key-manager', 'KEY_MANAGER_ADMIN_TOKEN'),
    );
    assert.deepEqual(sources('portico-gateway', 'GATEWAY_CLIENT_SECRET'), {
      key: 'GATEWAY_CLIENT_SECRET',
      name: 'portico-generated',
    });
    const keyring = Buffer.from(generated.data.PERSISTENCE_ENCRYPTION_KEYS, 'base64').toString();
    assert.match(keyring, /^k1:[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(keyring.slice(3), 'base64').length, 32, 'an AES-256 key');
    for (const cm of byKind(objects, 'ConfigMap')) {
      for (const key of Object.keys(cm.data)) {
        assert.doesNotMatch(
          key,
          /(SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY|_KEYS|KEYRING)$/,
          cm.metadata.name,
        );
        // Credentials whose names do not look secret: connection URLs and bootstrap passwords.
        assert.ok(
          !['MONGO_URL', 'REDIS_URL', 'BOOTSTRAP_USERS'].includes(key),
          `${key} in ${cm.metadata.name}`,
        );
      }
    }
  });

  test('ServiceMonitor scenario scrapes each service on the port serving /metrics', async () => {
    const objects = await scenario('servicemonitor');
    const monitors = byKind(objects, 'ServiceMonitor');
    assert.deepEqual(
      monitors.map((m) => `${m.metadata.name}:${m.spec.endpoints[0].port}${m.spec.endpoints[0].path}`).sort(),
      // Every service serves /metrics on its admin port only (never through an Ingress).
      ['portico-gateway:admin/metrics', 'portico-key-manager:admin/metrics', 'portico-store:admin/metrics'],
    );
    assert.equal(monitors[0]?.metadata.labels?.['release'], 'kube-prometheus-stack');
    const gatewayPolicy = find(objects, 'NetworkPolicy', 'portico-gateway');
    const admin = gatewayPolicy.spec.ingress.find((r: K8sObject) => r.ports[0].port === 'admin');
    assert.ok(
      admin.from.some((f: K8sObject) => f.namespaceSelector?.matchLabels),
      'monitoring may scrape',
    );
    assert.equal(byKind(await scenario('default'), 'ServiceMonitor').length, 0);
  });

  test('the catalog declared in values is mounted where CATALOG_FILE points', async () => {
    const objects = await scenario('ha');
    const catalog = find(objects, 'ConfigMap', 'portico-store-catalog');
    assert.match(catalog.data['catalog.yaml'], /context: \/twitter\/1.0.0/);
    const store = find(objects, 'Deployment', 'portico-store');
    const mount = container(store).volumeMounts.find((m: K8sObject) => m.name === 'catalog');
    const file = find(objects, 'ConfigMap', 'portico-store').data.CATALOG_FILE;
    assert.equal(file, `${mount.mountPath}/catalog.yaml`);
    assert.ok(
      store.spec.template.metadata.annotations['checksum/catalog'],
      'a catalog change rolls the store',
    );
  });

  test("the rendered catalog file is one the store accepts (the store's own parser)", async () => {
    const catalogOf = async (name: Scenario) =>
      parseCatalog(find(await scenario(name), 'ConfigMap', 'portico-store-catalog').data['catalog.yaml']);
    const ha = await catalogOf('ha');
    assert.deepEqual(
      (ha.apis ?? []).map((a) => a.context),
      ['/twitter/1.0.0'],
    );
    assert.equal(ha.tiers?.[0]?.name, 'Platinum');
    const empty = await catalogOf('default');
    assert.deepEqual([empty.apis?.length ?? 0, empty.tiers?.length ?? 0], [0, 0]);
  });

  test('helm test hook calls the gateway and key-manager health endpoints', async () => {
    const objects = await scenario('default');
    const pod = find(objects, 'Pod', 'portico-test-health');
    assert.equal(pod.metadata.annotations?.['helm.sh/hook'], 'test');
    const args: string[] = pod.spec.containers[0].args;
    assert.ok(args.includes('http://portico-gateway:9080/healthz'), args.join(' '));
    assert.ok(args.includes('http://portico-key-manager:8081/healthz'), args.join(' '));
  });

  const gatewayEnv = async (name: Scenario) => {
    const objects = await scenario(name);
    const gateway = container(find(objects, 'Deployment', 'portico-gateway'));
    const refs = Object.fromEntries(
      gateway.env.map((e: K8sObject) => [
        e.name,
        `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
      ]),
    );
    const config = find(objects, 'ConfigMap', 'portico-gateway').data;
    const own = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'portico-gateway');
    return { objects, gateway, refs, config, own: (own?.stringData ?? {}) as Record<string, string> };
  };

  test('Redis authentication by default: REDIS_PASSWORD from redis.auth.passwordSecretRef, a generated CACHE_INTEGRITY_KEY', async () => {
    const { refs, own, config } = await gatewayEnv('default');
    assert.equal(refs.REDIS_PASSWORD, 'redis/redis-password');
    assert.equal(refs.CACHE_INTEGRITY_KEY, 'portico-generated/CACHE_INTEGRITY_KEY');
    assert.equal(own.REDIS_URL, 'redis://redis:6379');
    assert.equal('REDIS_PASSWORD' in own, false);
    assert.deepEqual(
      [config.REDIS_SENTINELS, config.REDIS_CLUSTER_NODES, config.REDIS_TLS],
      ['', '', 'false'],
    );
  });

  test('Redis Sentinel with TLS: sentinels, master name, ACL user, CA bundle mounted where REDIS_TLS_CA_FILE points; no REDIS_URL', async () => {
    const { gateway, refs, own, config, objects } = await gatewayEnv('redis-sentinel');
    assert.match(config.REDIS_SENTINELS, /^redis-node-0\.redis-headless:26379,/);
    assert.equal(config.REDIS_SENTINEL_NAME, 'mymaster');
    assert.equal(config.REDIS_TLS, 'true');
    assert.equal(config.REDIS_TLS_CA_FILE, '/etc/portico/redis-ca/ca.crt');
    assert.equal(own.REDIS_URL, '');
    assert.equal(own.REDIS_USERNAME, 'portico');
    assert.equal(refs.REDIS_PASSWORD, 'redis/redis-password');
    const mount = gateway.volumeMounts.find((m: K8sObject) => m.name === 'redis-ca');
    assert.equal(mount?.mountPath, '/etc/portico/redis-ca');
    const volume = find(objects, 'Deployment', 'portico-gateway').spec.template.spec.volumes.find(
      (v: K8sObject) => v.name === 'redis-ca',
    );
    assert.equal(volume?.secret.secretName, 'redis-ca');
    // Only the gateway talks to Redis.
    const store = find(objects, 'Deployment', 'portico-store').spec.template.spec.volumes;
    assert.equal(
      store.some((v: K8sObject) => v.name === 'redis-ca'),
      false,
    );
  });

  test('Redis Cluster: only REDIS_CLUSTER_NODES names the topology', async () => {
    const { refs, own, config } = await gatewayEnv('redis-cluster');
    assert.match(config.REDIS_CLUSTER_NODES, /^redis-cluster-0\.redis-cluster-headless:6379,/);
    assert.deepEqual([config.REDIS_SENTINELS, config.REDIS_SENTINEL_NAME, own.REDIS_URL], ['', '', '']);
    assert.equal(refs.REDIS_PASSWORD, 'redis-cluster/redis-password');
  });

  test('redis.auth.enabled=false: the gateway reads no Redis operator Secret (its own REDIS_PASSWORD is empty)', async () => {
    const objects = await renderChart(['--set', 'redis.auth.enabled=false']);
    const gateway = container(find(objects, 'Deployment', 'portico-gateway'));
    const ref = gateway.env.find((e: K8sObject) => e.name === 'REDIS_PASSWORD').valueFrom.secretKeyRef;
    assert.deepEqual(ref, { name: 'portico-gateway', key: 'REDIS_PASSWORD' });
    assert.equal(find(objects, 'Secret', 'portico-gateway').stringData.REDIS_PASSWORD, '');
  });

  test('a config change rolls the pods (checksum annotation follows the ConfigMap)', async () => {
    const before = find(await scenario('default'), 'Deployment', 'portico-store');
    const after = find(
      await renderChart(['--set', 'store.config.LOG_LEVEL=debug']),
      'Deployment',
      'portico-store',
    );
    const sum = (d: K8sObject) => d.spec.template.metadata.annotations['checksum/config'];
    assert.notEqual(sum(before), sum(after));
  });
});

describe('values.yaml documentation', () => {
  // Every leaf (scalar, list, or empty map) of values.yaml has a `## @param <path>` line, and
  // every `## @param` names an existing value.
  const text = readFileSync(join(CHART, 'values.yaml'), 'utf8');
  const documented = new Set([...text.matchAll(/^\s*## @param (\S+)/gm)].map((m) => m[1]!));

  function leaves(node: unknown, prefix: string, out: string[]): string[] {
    if (isMap(node) && node.items.length > 0) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        leaves(pair.value, prefix ? `${prefix}.${key}` : key, out);
      }
    } else if (isScalar(node) || isSeq(node) || isMap(node) || node === null) {
      out.push(prefix);
    }
    return out;
  }
  const paths = leaves(parseDocument(text).contents, '', []);

  test('every value has a ## @param line', () => {
    const ownOrParent = (path: string) => {
      // A map documented as a whole (e.g. store.catalog.declarations) covers its children.
      const parts = path.split('.');
      return parts.some((_, i) => documented.has(parts.slice(0, i + 1).join('.')));
    };
    assert.deepEqual(
      paths.filter((p) => !ownOrParent(p)),
      [],
    );
    // Environment variables each need their own line, not one for the whole map.
    for (const p of paths.filter((x) => /\.(config|secrets)\./.test(x))) assert.ok(documented.has(p), p);
  });

  test('every ## @param names an existing value', () => {
    const all = new Set(
      paths.flatMap((p) => p.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))),
    );
    assert.deepEqual(
      [...documented].filter((d) => !all.has(d)),
      [],
    );
  });
});
