import { USAGE_TOPIC_BASE_NAME, usageTopicSpec } from './usage.ts';

/**
 * Topic names and their settings. Every name carries a schema version suffix; a prefix lets
 * tests and several installations share one cluster without seeing each other's events.
 */
export const TOPIC_BASE_NAMES = {
  revocations: 'portico.revocations.v1',
  clients: 'portico.clients.v1',
  applications: 'portico.applications.v1',
  subscriptions: 'portico.subscriptions.v1',
  apis: 'portico.apis.v1',
} as const;

export type TopicKey = keyof typeof TOPIC_BASE_NAMES;
export type TopicNames = Record<TopicKey, string>;

export function topicNames(prefix = ''): TopicNames {
  const names = {} as TopicNames;
  for (const [key, base] of Object.entries(TOPIC_BASE_NAMES) as Array<[TopicKey, string]>) {
    names[key] = `${prefix}${base}`;
  }
  return names;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries: Array<{ name: string; value: string }>;
}

/**
 * Revocations are compacted (keyed by token hash, grant id, client, user or domain) and kept
 * at least as long as the longest token lifetime, so a starting gateway can replay the whole
 * current deny-list. The other topics are compacted by entity id: a replay gives the latest
 * state of every entity.
 */
export function topicSpecs(
  names: TopicNames,
  options: { revocationRetentionMs: number; partitions?: number },
): TopicSpec[] {
  const partitions = options.partitions ?? 3;
  const compacted = (retentionMs: number) => [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(retentionMs) },
    { name: 'min.compaction.lag.ms', value: '60000' },
  ];
  return [
    {
      topic: names.revocations,
      numPartitions: partitions,
      configEntries: compacted(options.revocationRetentionMs),
    },
    {
      topic: names.clients,
      numPartitions: partitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    {
      topic: names.applications,
      numPartitions: partitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    {
      topic: names.subscriptions,
      numPartitions: partitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    {
      topic: names.apis,
      numPartitions: partitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ];
}

/** The service that creates each topic, with its settings (docs/adr/0066); nobody else does. */
export const TOPIC_OWNERS = {
  revocations: 'key-manager',
  clients: 'key-manager',
  applications: 'store',
  subscriptions: 'store',
  apis: 'store',
  usage: 'gateway',
} as const satisfies Record<TopicKey | 'usage', string>;

export type TopicOwner = (typeof TOPIC_OWNERS)[keyof typeof TOPIC_OWNERS];

/** Revocations are kept at least as long as the longest token lifetime (the key-manager's setting). */
export const DEFAULT_REVOCATION_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The specs of the topics `owner` creates. */
export function ownedTopicSpecs(
  owner: TopicOwner,
  options: { prefix?: string; revocationRetentionMs?: number; partitions?: number } = {},
): TopicSpec[] {
  const names = topicNames(options.prefix);
  const all = topicSpecs(names, {
    revocationRetentionMs: options.revocationRetentionMs ?? DEFAULT_REVOCATION_RETENTION_MS,
    ...(options.partitions !== undefined ? { partitions: options.partitions } : {}),
  });
  const specs = (Object.keys(names) as TopicKey[])
    .filter((key) => TOPIC_OWNERS[key] === owner)
    .map((key) => all.find((s) => s.topic === names[key]) as TopicSpec);
  if (TOPIC_OWNERS.usage === owner) {
    specs.push(
      usageTopicSpec(
        `${options.prefix ?? ''}${USAGE_TOPIC_BASE_NAME}`,
        options.partitions !== undefined ? { partitions: options.partitions } : {},
      ),
    );
  }
  return specs;
}
