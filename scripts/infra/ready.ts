// Waits until a local infrastructure component answers, for scripts/infra.sh.
//   node scripts/infra/ready.ts redis|mongo|kafka <url-or-brokers> [--timeout MS] [--pid PID] [--brokers N]
// --brokers: Kafka is ready once N brokers have registered (default 1).
// Exits 0 when ready; 1 with the reason on stderr when the timeout passes or the process PID exits.
// The checks live in libs/testing/src/infra.ts (their drivers come from libs/testing's dependencies).

import type { ReadyOptions } from '../../libs/testing/src/infra.ts';
import { waitForKafkaReady, waitForMongoReady, waitForRedisReady } from '../../libs/testing/src/infra.ts';

const [kind, target, ...rest] = process.argv.slice(2);
let timeoutMs = 30_000;
let pid: number | undefined;
let minBrokers = 1;
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] === '--timeout') timeoutMs = Number(rest[i + 1]);
  else if (rest[i] === '--pid') pid = Number(rest[i + 1]);
  else if (rest[i] === '--brokers') minBrokers = Number(rest[i + 1]);
  else {
    console.error(`ready.ts: unknown option ${rest[i]}`);
    process.exit(2);
  }
}

function alive(p: number): boolean {
  try {
    process.kill(p, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const options: ReadyOptions = {
  timeoutMs,
  abortIf: () => (pid !== undefined && !alive(pid) ? `process ${pid} exited` : undefined),
};

try {
  if (!target)
    throw new Error('usage: ready.ts redis|mongo|kafka <url-or-brokers> [--timeout MS] [--pid PID]');
  if (kind === 'redis') await waitForRedisReady(target, options);
  else if (kind === 'mongo') await waitForMongoReady(target, options);
  else if (kind === 'kafka') await waitForKafkaReady(target.split(','), { ...options, minBrokers });
  else throw new Error(`unknown component ${kind}`);
  process.exit(0);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
