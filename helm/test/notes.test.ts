/**
 * NOTES.txt: `helm template` does not print it, so the test renders it inside a copy of the chart
 * (as the body of a ConfigMap) and checks the next steps and the warnings each scenario deserves.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CHART, helm, parseManifests } from './lib/tools.ts';

const copy = mkdtempSync(join(tmpdir(), 'portico-notes-'));
after(() => rmSync(copy, { recursive: true, force: true }));
cpSync(CHART, copy, { recursive: true });
const notes = readFileSync(join(CHART, 'templates/NOTES.txt'), 'utf8');
rmSync(join(copy, 'templates/NOTES.txt'));
writeFileSync(join(copy, 'templates/_notes.tpl'), `{{- define "test.notes" -}}\n${notes}\n{{- end -}}\n`);
writeFileSync(
  join(copy, 'templates/notes.yaml'),
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | toJson }}\n',
);

async function renderNotes(scenario: string, set: string[] = []): Promise<string> {
  const result = await helm([
    'template',
    'portico',
    copy,
    '--values',
    join(copy, 'ci', `${scenario}-values.yaml`),
    ...set.flatMap((s) => ['--set', s]),
    '--show-only',
    'templates/notes.yaml',
  ]);
  assert.equal(result.code, 0, result.stderr);
  return parseManifests(result.stdout)[0]?.data.notes as string;
}

test('NOTES.txt: next steps, and warnings about everything left at its example or insecure default', async () => {
  const text = await renderNotes('default');
  assert.match(text, /Developer portal: {3}http:\/\/portal\.portico\.example\.com/);
  assert.match(text, /helm test portico/);
  assert.match(text, /mongodb\.url, kafka\.brokers or redis\.url still has its example value/);
  assert.match(text, /Generated credentials \(.*KEY_MANAGER_ADMIN_TOKEN.*\) are in Secret portico-generated/);
  assert.match(text, /`helm template` \(GitOps\) cannot reuse generated credentials/);
  assert.match(text, /BACKEND_JWT_SIGNING_KEY is empty/);
  assert.match(text, /ingress\.gateway \(api\.portico\.example\.com\) has no TLS/);
  assert.match(text, /Example host names/);
  assert.match(
    text,
    /Redis \(standalone\): the gateways authenticate with the password in Secret\s+redis \(key redis-password\)/,
  );
  assert.doesNotMatch(text, /redis\.auth\.enabled is false/);
});

test('NOTES.txt: Redis Cluster names the Secret holding its password', async () => {
  const text = await renderNotes('redis-cluster');
  assert.match(
    text,
    /Redis \(cluster\): the gateways authenticate with the password in Secret\s+redis-cluster/,
  );
});

test('NOTES.txt: HA with TLS has no TLS warning and shows https URLs', async () => {
  const text = await renderNotes('ha');
  assert.doesNotMatch(text, /has no TLS/);
  assert.match(
    text,
    /OAuth2\/OIDC issuer: https:\/\/auth\.portico\.example\.com\/\.well-known\/openid-configuration/,
  );
});

test('NOTES.txt: with existing Secrets nothing is generated, so no GitOps warning', async () => {
  const text = await renderNotes('existing-secrets');
  assert.doesNotMatch(text, /Generated credentials/);
  assert.doesNotMatch(text, /cannot reuse generated credentials/);
});

test('NOTES.txt: a production install is told about one-broker replication and single key-manager or store replicas', async () => {
  const defaults = await renderNotes('default');
  assert.doesNotMatch(
    defaults,
    /replicationFactor is 1|runs a single replica: a node drain or a rollout interrupts sign-in/,
  );
  const text = await renderNotes('default', [
    'kafka.replicationFactor=1',
    'keyManager.replicaCount=1',
    'store.replicaCount=1',
  ]);
  assert.match(
    text,
    /kafka\.replicationFactor is 1: each topic, the revocation list included, lives on one broker/,
  );
  assert.match(text, /keyManager runs a single replica/);
  assert.match(text, /store runs a single replica/);
});
