/**
 * Bounded steady load on loopback for the rolling-restart journey, spread over the gateway
 * replicas the way a Kubernetes Service does it: requests go round-robin to the endpoints that
 * exist (a terminating pod is removed from the endpoints when it is deleted, before its preStop
 * hook and SIGTERM) and whose readiness probe (GET /readyz on the admin port, polled every
 * `probeMs`) last answered 200. A request is sent once: no retry on another replica, so every
 * failure is counted.
 */
import { Agent, request } from 'node:http';

export interface LoadTarget {
  url: string;
  readyUrl: string;
}

export interface LoadReport {
  sent: number;
  ok: number;
  failures: Array<{ replica: number; status: number; error?: string; atMs: number }>;
  perReplica: number[];
}

export interface RunningLoad {
  /** The endpoints controller drops replica i (its pod is being deleted). */
  removeEndpoint(i: number): void;
  /** Replica i is an endpoint again; it gets traffic once its readiness probe answers 200. */
  addEndpoint(i: number): void;
  /** Requests sent so far, per replica. */
  perReplica(): number[];
  stop(): Promise<LoadReport>;
}

function get(agent: Agent, url: string, headers: Record<string, string>, timeoutMs: number) {
  return new Promise<{ status: number; error?: string }>((resolve) => {
    const req = request(url, { agent, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err) => resolve({ status: 0, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) =>
      resolve({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }),
    );
    req.end();
  });
}

export function startLoad(options: {
  targets: LoadTarget[];
  path: string;
  headers: Record<string, string>;
  ratePerSecond: number;
  probeMs?: number;
}): RunningLoad {
  const started = Date.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const probeAgent = new Agent({ keepAlive: false });
  const ready = options.targets.map(() => true);
  const endpoint = options.targets.map(() => true);
  const report: LoadReport = { sent: 0, ok: 0, failures: [], perReplica: options.targets.map(() => 0) };
  const inflight = new Set<Promise<void>>();
  let next = 0;

  const probe = setInterval(() => {
    options.targets.forEach((t, i) => {
      void get(probeAgent, t.readyUrl, {}, Math.max(100, (options.probeMs ?? 250) - 50)).then((r) => {
        ready[i] = r.status === 200;
      });
    });
  }, options.probeMs ?? 250);

  const tick = setInterval(() => {
    const candidates = options.targets.map((_, i) => i).filter((i) => endpoint[i] && ready[i]);
    if (candidates.length === 0) {
      report.sent += 1;
      report.failures.push({ replica: -1, status: 0, error: 'no ready replica', atMs: Date.now() - started });
      return;
    }
    const replica = candidates[next++ % candidates.length]!;
    report.sent += 1;
    report.perReplica[replica]! += 1;
    const p = get(agent, `${options.targets[replica]!.url}${options.path}`, options.headers, 5000).then(
      (r) => {
        if (r.status === 200) report.ok += 1;
        else
          report.failures.push({
            replica,
            status: r.status,
            ...(r.error ? { error: r.error } : {}),
            atMs: Date.now() - started,
          });
        inflight.delete(p);
      },
    );
    inflight.add(p);
  }, 1000 / options.ratePerSecond);

  return {
    removeEndpoint(i) {
      endpoint[i] = false;
    },
    addEndpoint(i) {
      ready[i] = false; // not routed until a probe says ready
      endpoint[i] = true;
    },
    perReplica: () => [...report.perReplica],
    async stop() {
      clearInterval(tick);
      clearInterval(probe);
      await Promise.all(inflight);
      agent.destroy();
      probeAgent.destroy();
      return report;
    },
  };
}
