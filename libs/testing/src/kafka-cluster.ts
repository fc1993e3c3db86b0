/**
 * A private three-node KRaft Kafka cluster for tests: every node is a broker and a controller
 * (one cluster id, a quorum of the three), configured like `PORTICO_KAFKA_BROKERS=3
 * scripts/infra.sh start kafka` (three replicas, two in sync). Binds 127.0.0.1 on free ports,
 * lives in one temp dir, and each node is a PrivateService stopped by pid (dispose(); any left are
 * killed when the test process exits).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PrivateService, PrivateServiceOptions } from './infra.ts';
import {
  createPrivateService,
  formatKafkaStorage,
  freePorts,
  kafkaClusterId,
  kafkaInstall,
  kafkaServerProperties,
  waitForKafkaReady,
} from './infra.ts';

export interface PrivateKafkaCluster {
  /** 127.0.0.1:port of the three brokers (KAFKA_BROKERS). */
  readonly brokers: string[];
  /** The nodes, node id 1 to 3 in order: stop(), kill() and start() one to test a failure. */
  readonly nodes: PrivateService[];
  /** Stops every node (all at once) and deletes the temp dir. */
  dispose(): Promise<void>;
}

export async function startPrivateKafkaCluster(
  options: PrivateServiceOptions = {},
): Promise<PrivateKafkaCluster> {
  const { template, java } = await kafkaInstall();
  const ports = await freePorts(6);
  const root = await mkdtemp(path.join(tmpdir(), 'portico-kafka-cluster-'));
  const members = [1, 2, 3].map((nodeId) => ({
    nodeId,
    port: ports[2 * (nodeId - 1)]!,
    controllerPort: ports[2 * (nodeId - 1) + 1]!,
    dir: path.join(root, `node-${nodeId}`),
  }));
  const voters = members.map((m) => `${m.nodeId}@127.0.0.1:${m.controllerPort}`).join(',');
  const brokers = members.map((m) => `127.0.0.1:${m.port}`);
  const nodes: PrivateService[] = [];
  const dispose = async () => {
    await Promise.all(nodes.map((n) => n.dispose().catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const clusterId = kafkaClusterId();
    for (const m of members) {
      await mkdir(m.dir);
      const properties = path.join(m.dir, 'server.properties');
      const logFile = path.join(m.dir, 'kafka.log');
      await writeFile(
        properties,
        kafkaServerProperties(template, {
          port: m.port,
          controllerPort: m.controllerPort,
          logDir: path.join(m.dir, 'kraft-logs'),
          member: { nodeId: m.nodeId, voters },
        }),
      );
      await formatKafkaStorage(java, m.dir, clusterId, properties, logFile);
      const url = `127.0.0.1:${m.port}`;
      nodes.push(
        createPrivateService({
          kind: 'kafka',
          url,
          port: m.port,
          dir: m.dir,
          logFile,
          launch: () => java(m.dir, 'kafka.Kafka', properties),
          ready: (o) => waitForKafkaReady([url], o),
          startTimeoutMs: options.startTimeoutMs ?? 90_000,
          stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
        }),
      );
    }
    // Together: no node is ready before a quorum (two of the three controllers) is up.
    await Promise.all(nodes.map((n) => n.start()));
    await waitForKafkaReady(brokers, { minBrokers: 3, timeoutMs: options.startTimeoutMs ?? 90_000 });
  } catch (err) {
    await dispose();
    throw err;
  }
  return { brokers, nodes, dispose };
}
