/**
 * An extra gateway replica beside a stack's two (the revocation lag with three replicas): the
 * environment services.sh gives gateway-1/2 (the stack's infrastructure, secrets, key-manager
 * and store, its topic and key prefixes), with its own ports and replica id.
 */
import { join } from 'node:path';
import type { Stack } from '@portico/e2e';
import { freePorts, repoRoot, sharedInfra } from '@portico/testing';
import type { Running } from './servers.ts';
import { startServer } from './servers.ts';

export interface ExtraReplica extends Running {
  url: string;
  adminUrl: string;
}

export async function startExtraGateway(
  stack: Stack,
  index: number,
  cpuList?: string,
): Promise<ExtraReplica> {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const infra = sharedInfra();
  const root = repoRoot();
  const name = `gateway-${index}`;
  const running = await startServer(name, process.execPath, ['src/main.ts'], {
    cwd: join(root, 'services', 'gateway'),
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    ...(cpuList ? { cpus: cpuList } : {}),
    env: {
      ...stack.secrets,
      MONGO_URL: infra.mongoUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      REDIS_URL: infra.redisUrl,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      GATEWAY_REPLICA_ID: name,
      KEY_MANAGER_URL: stack.keyManagerUrl,
      STORE_URL: stack.storeUrl,
      CLIENT_DOMAIN_HEADERS: 'origin,referer',
      KAFKA_TOPIC_PREFIX: `${stack.name}.`,
      REDIS_KEY_PREFIX: `${stack.name}:`,
    },
  });
  return { ...running, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}
