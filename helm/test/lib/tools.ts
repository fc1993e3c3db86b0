/**
 * Runs helm and kustomize (installed into .tools/bin by scripts/setup-deploy-tools.sh) and parses
 * what they print into Kubernetes objects. Everything here works offline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART = join(ROOT, 'helm/portico');
export const TOOLS = process.env['PORTICO_TOOLS'] ?? join(ROOT, '.tools');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked structurally by the validators
  [field: string]: any;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function tool(name: string): string {
  const path = join(TOOLS, 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/setup-deploy-tools.sh`);
  return path;
}

async function exec(name: string, args: string[]): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(tool(name), args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function helm(args: string[]): Promise<ToolResult> {
  return exec('helm', args);
}

export function kustomize(args: string[]): Promise<ToolResult> {
  return exec('kustomize', args);
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** `helm template` with extra arguments (values files, --set); throws with helm's message on failure. */
export async function renderChart(args: string[] = [], release = 'portico'): Promise<K8sObject[]> {
  const result = await helm(['template', release, CHART, '--namespace', 'apim', ...args]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export async function buildKustomization(dir: string): Promise<K8sObject[]> {
  const result = await kustomize(['build', join(ROOT, dir)]);
  if (result.code !== 0) throw new Error(`kustomize build ${dir} failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`);
  return found;
}

/** The values files under helm/portico/ci/, each a scenario the chart must render. */
export const SCENARIOS = [
  'default',
  'ha',
  'existing-secrets',
  'servicemonitor',
  'redis-sentinel',
  'redis-cluster',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function renderScenario(scenario: Scenario): Promise<K8sObject[]> {
  return renderChart(['--values', join(CHART, 'ci', `${scenario}-values.yaml`)]);
}
