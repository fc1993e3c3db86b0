/**
 * Offline checks of rendered manifests:
 * - schemaProblems: each object against the Kubernetes OpenAPI schema of its apiVersion/kind
 *   (npm kubernetes-models; ServiceMonitor from @kubernetes-models/prometheus-operator).
 *   An unknown apiVersion/kind is a problem too: the cluster would not know it either.
 * - strictProblems: each built-in object decoded strictly with Kubernetes' own Go types
 *   (.tools/bin/kubecheck, source in helm/test/kubecheck): unknown or misspelt fields, which the
 *   OpenAPI schemas let through, are errors.
 * - practiceProblems: the rules every Portico workload follows (limits, probes, non-root,
 *   read-only root filesystem, no privilege escalation, capabilities dropped) and the wiring
 *   between objects (selectors, Ingress/HPA/PDB targets, Secret and ConfigMap references).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { K8sObject } from './tools.ts';
import { TOOLS } from './tools.ts';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : group === ''
        ? `kubernetes-models/${version}/${kind}`
        : `kubernetes-models/${group}/${version}/${kind}`;
  try {
    const module = (await import(path)) as Record<string, ModelClass>;
    return module[kind];
  } catch {
    return undefined;
  }
}

function describe(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name}`;
}

export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const Model = await modelFor(o.apiVersion, o.kind);
    if (!Model) {
      problems.push(`${describe(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      problems.push(`${describe(o)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

interface KubecheckResult {
  index: number;
  kind: string;
  name: string;
  status: 'ok' | 'unknown' | 'invalid';
  error?: string;
}

/** Strict decoding; kinds Kubernetes itself does not define (CRDs) are left to schemaProblems. */
export async function strictProblems(objects: K8sObject[]): Promise<string[]> {
  const bin = join(TOOLS, 'bin', 'kubecheck');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/setup-deploy-tools.sh`);
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  child.stdin.end(`${objects.map((o) => JSON.stringify(o)).join('\n')}\n`);
  const code = await exited;
  if (code !== 0) throw new Error(`kubecheck failed: ${stderr}`);
  const results = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as KubecheckResult);
  if (results.length !== objects.length)
    throw new Error(`kubecheck answered ${results.length}/${objects.length}`);
  return results.filter((r) => r.status === 'invalid').map((r) => `${r.kind}/${r.name}: ${r.error}`);
}

// biome-ignore lint/suspicious/noExplicitAny: structural walk over rendered manifests
type Json = any;

interface Workload {
  owner: K8sObject;
  podSpec: Json;
  podLabels: Record<string, string>;
  longRunning: boolean;
}

function workloads(objects: K8sObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) {
      out.push({
        owner: o,
        podSpec: o.spec?.template?.spec ?? {},
        podLabels: o.spec?.template?.metadata?.labels ?? {},
        longRunning: true,
      });
    } else if (o.kind === 'Pod') {
      out.push({ owner: o, podSpec: o.spec ?? {}, podLabels: o.metadata.labels ?? {}, longRunning: false });
    } else if (o.kind === 'Job') {
      out.push({
        owner: o,
        podSpec: o.spec?.template?.spec ?? {},
        podLabels: o.spec?.template?.metadata?.labels ?? {},
        longRunning: false,
      });
    }
  }
  return out;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function containerProblems(where: string, c: Json, pod: Json, longRunning: boolean): string[] {
  const p: string[] = [];
  const sc = c.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  if (!limits.cpu || !limits.memory) p.push(`${where}: resources.limits.cpu and .memory must be set`);
  if (!requests.cpu || !requests.memory) p.push(`${where}: resources.requests.cpu and .memory must be set`);
  const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  const uid = sc.runAsUser ?? psc.runAsUser;
  if (nonRoot !== true) p.push(`${where}: runAsNonRoot must be true`);
  if (uid === 0) p.push(`${where}: runAsUser must not be 0`);
  if (sc.allowPrivilegeEscalation !== false) p.push(`${where}: allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) p.push(`${where}: readOnlyRootFilesystem must be true`);
  if (sc.privileged === true) p.push(`${where}: must not be privileged`);
  const drop: string[] = sc.capabilities?.drop ?? [];
  if (!drop.includes('ALL')) p.push(`${where}: capabilities.drop must include ALL`);
  if ((sc.capabilities?.add ?? []).length > 0) p.push(`${where}: must not add capabilities`);
  const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
    p.push(`${where}: seccompProfile must be RuntimeDefault`);
  }
  const image: string = c.image ?? '';
  if (!/[:@]/.test(image.split('/').pop() ?? '') || image.endsWith(':latest')) {
    p.push(`${where}: image ${JSON.stringify(image)} must have a pinned tag or digest`);
  }
  if (longRunning) {
    if (!c.livenessProbe) p.push(`${where}: livenessProbe missing`);
    if (!c.readinessProbe) p.push(`${where}: readinessProbe missing`);
  }
  return p;
}

/** `externalSecrets`: Secrets the install expects to exist already (existingSecret, secretKeyRefs). */
export function practiceProblems(objects: K8sObject[], externalSecrets: string[] = []): string[] {
  const problems: string[] = [];
  const all = workloads(objects);
  const names = (kind: string) => new Set(objects.filter((o) => o.kind === kind).map((o) => o.metadata.name));
  const configMaps = names('ConfigMap');

  for (const w of all) {
    const spec = w.podSpec;
    if (spec.automountServiceAccountToken !== false) {
      problems.push(`${describe(w.owner)}: automountServiceAccountToken must be false`);
    }
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      problems.push(...containerProblems(`${describe(w.owner)} container ${c.name}`, c, spec, w.longRunning));
      for (const from of c.envFrom ?? []) {
        const cm = from.configMapRef?.name;
        if (cm && !configMaps.has(cm))
          problems.push(`${describe(w.owner)}: envFrom ConfigMap ${cm} not rendered`);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) {
        problems.push(`${describe(w.owner)}: volume ConfigMap ${v.configMap.name} not rendered`);
      }
    }
    for (const c of spec.containers ?? []) {
      for (const env of c.env ?? []) {
        const ref = env.valueFrom?.secretKeyRef?.name;
        if (!ref || externalSecrets.includes(ref)) continue;
        const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref);
        const key = env.valueFrom.secretKeyRef.key;
        if (!secret)
          problems.push(`${describe(w.owner)}: env ${env.name} reads Secret ${ref}, which is not rendered`);
        else if (!(key in { ...secret.data, ...secret.stringData })) {
          problems.push(`${describe(w.owner)}: env ${env.name} reads key ${key} missing from Secret ${ref}`);
        }
      }
    }
  }

  for (const svc of objects.filter((o) => o.kind === 'Service')) {
    const selected = all.filter((w) => matches(svc.spec?.selector, w.podLabels) && w.longRunning);
    if (selected.length === 0) {
      problems.push(`${describe(svc)}: selector matches no workload`);
      continue;
    }
    for (const port of svc.spec?.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      const named = selected.some((w) =>
        (w.podSpec.containers ?? []).some((c: Json) =>
          (c.ports ?? []).some((cp: Json) => cp.name === port.targetPort),
        ),
      );
      if (!named) problems.push(`${describe(svc)}: targetPort ${port.targetPort} is no container port`);
    }
  }

  const services = objects.filter((o) => o.kind === 'Service');
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    for (const rule of ing.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const svc = services.find((s) => s.metadata.name === backend?.name);
        if (!svc) {
          problems.push(`${describe(ing)}: backend Service ${backend?.name} not rendered`);
          continue;
        }
        const port = (svc.spec.ports ?? []).find(
          (p: Json) => p.name === backend.port?.name || p.port === backend.port?.number,
        );
        if (!port)
          problems.push(`${describe(ing)}: Service ${svc.metadata.name} has no port ${backend.port}`);
      }
    }
  }

  for (const o of objects.filter((x) => ['PodDisruptionBudget', 'NetworkPolicy'].includes(x.kind))) {
    const selector =
      o.kind === 'NetworkPolicy' ? o.spec?.podSelector?.matchLabels : o.spec?.selector?.matchLabels;
    if (!all.some((w) => matches(selector, w.podLabels))) problems.push(`${describe(o)}: selects no pods`);
  }

  const deployments = names('Deployment');
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const target = hpa.spec?.scaleTargetRef;
    if (target?.kind !== 'Deployment' || !deployments.has(target.name)) {
      problems.push(`${describe(hpa)}: target ${target?.kind}/${target?.name} not rendered`);
    }
    const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === target?.name);
    if (dep?.spec?.replicas !== undefined) {
      problems.push(`${describe(hpa)}: Deployment ${target.name} must not set replicas (the HPA owns them)`);
    }
  }
  return problems;
}
