/**
 * The real control plane the chart is installed on (scripts/k8s.sh, ADR 0044): started once per test
 * file and stopped after it unless it was already running. kubectl and helm run with its kubeconfig.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { K8sObject, ToolResult } from '../lib/tools.ts';
import { parseManifests, ROOT, TOOLS } from '../lib/tools.ts';

const run = promisify(execFile);
const RUN = process.env['PORTICO_RUN'] ?? join(ROOT, '.portico');
export const KUBECONFIG = join(RUN, 'k8s', 'admin.kubeconfig');

async function exec(file: string, args: string[], input?: string): Promise<ToolResult> {
  const env = {
    ...process.env,
    KUBECONFIG,
    HELM_CACHE_HOME: join(RUN, 'k8s', 'helm-cache'),
    HELM_CONFIG_HOME: join(RUN, 'k8s', 'helm-config'),
  };
  const child = run(file, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function kubectl(args: string[], input?: string): Promise<ToolResult> {
  return exec(join(TOOLS, 'k8s', 'bin', 'kubectl'), args, input);
}

export function helmOnCluster(args: string[]): Promise<ToolResult> {
  return exec(join(TOOLS, 'bin', 'helm'), args);
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

export async function getObjects(kind: string, namespace: string): Promise<K8sObject[]> {
  const out = await kubectlOk(['get', kind, '-n', namespace, '-o', 'json']);
  return (JSON.parse(out) as { items: K8sObject[] }).items;
}

export async function getObject(kind: string, name: string, namespace: string): Promise<K8sObject> {
  return JSON.parse(await kubectlOk(['get', kind, name, '-n', namespace, '-o', 'json'])) as K8sObject;
}

let startedHere = false;

/** Starts the control plane (building it the first time) unless it runs; returns the server version. */
export async function startCluster(): Promise<string> {
  const script = join(ROOT, 'scripts', 'k8s.sh');
  const status = await exec('bash', [script, 'status']);
  if (status.code !== 0) {
    const started = await exec('bash', [script, 'start']);
    if (started.code !== 0) throw new Error(`scripts/k8s.sh start failed:\n${started.stderr}`);
    startedHere = true;
  }
  const version = JSON.parse(await kubectlOk(['version', '-o', 'json'])) as {
    serverVersion: { gitVersion: string };
  };
  return version.serverVersion.gitVersion;
}

export async function stopCluster(): Promise<void> {
  if (startedHere) await exec('bash', [join(ROOT, 'scripts', 'k8s.sh'), 'stop']);
}

/** A namespace that enforces PodSecurity `restricted`, as a platform team's would. */
export async function restrictedNamespace(name: string): Promise<string> {
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
  // A namespace left by an earlier run against the same control plane starts over.
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=90s']);
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(ns));
  return name;
}

/**
 * The Secrets a rendered release reads but does not create (the platform team's: Redis password,
 * existing credentials), created with every key it references.
 */
export async function createReferencedSecrets(objects: K8sObject[], namespace: string): Promise<string[]> {
  const rendered = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name));
  const wanted = new Map<string, Set<string>>();
  const want = (name: string, key?: string) => {
    if (rendered.has(name)) return;
    const keys = wanted.get(name) ?? new Set<string>();
    if (key) keys.add(key);
    wanted.set(name, keys);
  };
  for (const o of objects) {
    const spec = o.kind === 'Pod' ? o['spec'] : o['spec']?.template?.spec;
    if (!spec) continue;
    for (const c of spec.containers ?? []) {
      for (const e of c.env ?? [])
        if (e.valueFrom?.secretKeyRef) want(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
      for (const e of c.envFrom ?? []) if (e.secretRef) want(e.secretRef.name);
    }
    for (const v of spec.volumes ?? []) {
      if (v.secret) want(v.secret.secretName, ...(v.secret.items ?? []).map((i: { key: string }) => i.key));
    }
  }
  for (const o of objects) {
    if (o.kind === 'Ingress')
      for (const t of o['spec'].tls ?? []) if (t.secretName) want(t.secretName, 'tls.crt');
  }
  const secrets = [...wanted].map(([name, keys]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: Object.fromEntries([...keys].map((k) => [k, `test-${name}-${k}`])),
  }));
  if (secrets.length > 0)
    await kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: secrets }));
  return [...wanted.keys()];
}

/** Every Deployment of a namespace has rolled out: updated, ready and available as specified. */
export async function rolloutProblems(namespace: string): Promise<string[]> {
  const problems: string[] = [];
  for (const d of await getObjects('deployments', namespace)) {
    const want = d['spec'].replicas ?? 1;
    const s = d['status'] ?? {};
    if (
      s.observedGeneration !== (d.metadata as Record<string, unknown>)['generation'] ||
      s.updatedReplicas !== want ||
      s.readyReplicas !== want ||
      s.availableReplicas !== want
    )
      problems.push(`Deployment/${d.metadata.name}: want ${want}, status ${JSON.stringify(s)}`);
  }
  return problems;
}

/** Services of a namespace without a ready endpoint (EndpointSlices). */
export async function servicesWithoutEndpoints(namespace: string): Promise<string[]> {
  const slices = await getObjects('endpointslices', namespace);
  const missing: string[] = [];
  for (const svc of await getObjects('services', namespace)) {
    const ready = slices
      .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name)
      .flatMap((s) => s['endpoints'] ?? [])
      .filter((e: { conditions?: { ready?: boolean } }) => e.conditions?.ready);
    if (ready.length === 0) missing.push(svc.metadata.name);
  }
  return missing;
}

export { parseManifests };
