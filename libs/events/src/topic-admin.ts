/**
 * Creating the topics a service owns with the replication the installation asks for, and
 * checking the ones that already exist: a topic with weaker settings than configured (fewer
 * replicas, lower min.insync.replicas, another cleanup.policy) is reported — a warning naming
 * topic, setting, found and wanted, and portico_kafka_topic_misconfigured{topic,setting}=1 —
 * and left as it is (changing a live topic is the operator's decision). docs/adr/0066.
 */
import type { Gauge, Logger, Metrics } from '@portico/core';
import { ConfigError, promClient } from '@portico/core';
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { z } from 'zod';
import type { TopicSpec } from './topics.ts';

/** The settings of every service that creates topics (key-manager, store, gateway). */
export const kafkaTopicConfigShape = {
  /** Replicas per partition of the topics this service creates; unset = min(3, brokers in the cluster). */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).optional(),
  /** min.insync.replicas of those topics (producers use acks=all); unset = replication factor − 1, at least 1. */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(16).optional(),
};

export interface Replication {
  replicationFactor?: number | undefined;
  minInsyncReplicas?: number | undefined;
}

export function replicationOf(config: {
  KAFKA_REPLICATION_FACTOR?: number | undefined;
  KAFKA_MIN_INSYNC_REPLICAS?: number | undefined;
}): Replication {
  return {
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
  };
}

export interface ResolvedReplication {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** The defaults, against the cluster's size; a factor the cluster cannot hold is a ConfigError. */
export function resolveReplication(wanted: Replication, brokers: number): ResolvedReplication {
  const replicationFactor = wanted.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = wanted.minInsyncReplicas ?? Math.max(1, replicationFactor - 1);
  const problems: string[] = [];
  if (replicationFactor > brokers) {
    problems.push(
      `KAFKA_REPLICATION_FACTOR: ${replicationFactor} replicas need as many brokers; the cluster has ${brokers}`,
    );
  }
  if (minInsyncReplicas > replicationFactor) {
    problems.push(
      `KAFKA_MIN_INSYNC_REPLICAS: ${minInsyncReplicas} is more than the replication factor ${replicationFactor} (every acks=all write would fail)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { replicationFactor, minInsyncReplicas };
}

export interface TopicProblem {
  topic: string;
  setting: 'replication.factor' | 'min.insync.replicas' | 'cleanup.policy';
  found: string;
  wanted: string;
}

/** kafkajs' ConfigResourceTypes.TOPIC: the CommonJS module does not expose it to ESM imports. */
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

const policy = (v: string | undefined) =>
  (v ?? 'delete')
    .split(',')
    .map((s) => s.trim())
    .sort()
    .join(',');

/** What is weaker (or, for cleanup.policy, other) in an existing topic than its spec asks. */
export function topicProblems(
  spec: TopicSpec,
  wanted: ResolvedReplication,
  found: { replicationFactor: number; configs: Record<string, string | undefined> },
): TopicProblem[] {
  const problems: TopicProblem[] = [];
  const topic = spec.topic;
  if (found.replicationFactor < wanted.replicationFactor) {
    problems.push({
      topic,
      setting: 'replication.factor',
      found: String(found.replicationFactor),
      wanted: String(wanted.replicationFactor),
    });
  }
  const isr = Number(found.configs['min.insync.replicas'] ?? '1');
  if (isr < wanted.minInsyncReplicas) {
    problems.push({
      topic,
      setting: 'min.insync.replicas',
      found: String(isr),
      wanted: String(wanted.minInsyncReplicas),
    });
  }
  const wantedPolicy = spec.configEntries.find((e) => e.name === 'cleanup.policy')?.value;
  if (wantedPolicy !== undefined && policy(found.configs['cleanup.policy']) !== policy(wantedPolicy)) {
    problems.push({
      topic,
      setting: 'cleanup.policy',
      found: found.configs['cleanup.policy'] ?? '(unset)',
      wanted: wantedPolicy,
    });
  }
  return problems;
}

/** Creates the missing topics; checks and reports the existing ones. */
export async function createOrCheckTopics(
  admin: Admin,
  specs: TopicSpec[],
  options: { replication?: Replication; metrics?: Metrics | undefined; logger: Logger },
): Promise<TopicProblem[]> {
  const cluster = await admin.describeCluster();
  const wanted = resolveReplication(options.replication ?? {}, cluster.brokers.length);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        topics: missing.map((s) => ({
          ...s,
          replicationFactor: wanted.replicationFactor,
          configEntries: [
            ...s.configEntries,
            { name: 'min.insync.replicas', value: String(wanted.minInsyncReplicas) },
          ],
        })),
        waitForLeaders: true,
      });
    } catch (err) {
      // Another process creating the same topic at the same moment is fine.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  const present = specs.filter((s) => existing.has(s.topic));
  const problems = present.length > 0 ? await checkExisting(admin, present, wanted) : [];
  for (const p of problems) {
    options.logger.warn(
      { topic: p.topic, setting: p.setting, found: p.found, wanted: p.wanted },
      'kafka topic has weaker settings than configured; left as it is',
    );
  }
  if (options.metrics) reportProblems(options.metrics, present, problems);
  return problems;
}

async function checkExisting(
  admin: Admin,
  specs: TopicSpec[],
  wanted: ResolvedReplication,
): Promise<TopicProblem[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: TOPIC_RESOURCE, name: s.topic })),
  });
  const problems: TopicProblem[] = [];
  for (const spec of specs) {
    const partitions = metadata.topics.find((t) => t.name === spec.topic)?.partitions ?? [];
    const replicationFactor = Math.min(...partitions.map((p) => p.replicas.length));
    const entries = described.resources.find((r) => r.resourceName === spec.topic)?.configEntries ?? [];
    const configs = Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
    problems.push(...topicProblems(spec, wanted, { replicationFactor, configs }));
  }
  return problems;
}

const SETTINGS: Array<TopicProblem['setting']> = [
  'replication.factor',
  'min.insync.replicas',
  'cleanup.policy',
];

function reportProblems(metrics: Metrics, specs: TopicSpec[], problems: TopicProblem[]): void {
  const registry = metrics.registry;
  const gauge =
    (registry.getSingleMetric('portico_kafka_topic_misconfigured') as
      | Gauge<'topic' | 'setting'>
      | undefined) ??
    new promClient.Gauge({
      name: 'portico_kafka_topic_misconfigured',
      help: 'An existing topic this service owns has a weaker setting than configured (1); left unchanged',
      labelNames: ['topic', 'setting'] as const,
      registers: [registry],
    });
  for (const spec of specs) {
    for (const setting of SETTINGS) {
      const bad = problems.some((p) => p.topic === spec.topic && p.setting === setting);
      gauge.set({ topic: spec.topic, setting }, bad ? 1 : 0);
    }
  }
}
