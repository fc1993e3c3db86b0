/**
 * The ratios of one run, computed inside that run (never across runs: the machine's state
 * drifts between them). The primary comparison is the gateway against the FASTEST minimal Node
 * proxy of the same run, whichever of the three it was.
 */
import type { ScenarioResult } from './report.ts';

export const NODE_PROXIES = ['raw-node-proxy', 'raw-undici-proxy', 'http-proxy-middleware'] as const;
/** Gateway scenarios measured like the baselines (one replica, pinned to the server CPUs). */
export const GATEWAY_SCENARIOS = [
  'portico-auth-off',
  'portico-opaque-l1',
  'portico-opaque-redis',
  'portico-jwt',
];

export interface RunRatios {
  ratios: Record<string, number>;
  /** The fastest minimal Node proxy of this run (undefined when none was measured). */
  fastestNodeProxy: string | undefined;
}

export function runRatios(scenarios: ScenarioResult[]): RunRatios {
  const load = (name: string) => scenarios.find((s) => s.name === name && !s.error)?.load;
  const ratios: Record<string, number> = {};
  const proxies = NODE_PROXIES.flatMap((name) => {
    const l = load(name);
    return l ? [{ name, load: l }] : [];
  });
  const fastest = proxies.reduce<(typeof proxies)[number] | undefined>(
    (best, p) => (!best || p.load.requestsPerSecond > best.load.requestsPerSecond ? p : best),
    undefined,
  );
  const raw = load('raw-node-proxy');
  const undici = load('raw-undici-proxy');
  const nginx = load('nginx');

  for (const p of proxies)
    if (raw && p.name !== 'raw-node-proxy')
      ratios[`${p.name} / raw-node-proxy (req/s)`] = p.load.requestsPerSecond / raw.requestsPerSecond;
  if (nginx && fastest)
    ratios['nginx / fastest Node proxy (req/s)'] = nginx.requestsPerSecond / fastest.load.requestsPerSecond;

  for (const name of GATEWAY_SCENARIOS) {
    const g = load(name);
    if (!g) continue;
    if (fastest) {
      ratios[`${name} / fastest Node proxy (req/s)`] = g.requestsPerSecond / fastest.load.requestsPerSecond;
      ratios[`${name} p99 / fastest Node proxy p99`] = g.latencyMs.p99 / fastest.load.latencyMs.p99;
      ratios[`${name} - fastest Node proxy (added p50 ms)`] = g.latencyMs.p50 - fastest.load.latencyMs.p50;
    }
    if (undici) {
      ratios[`${name} / raw-undici-proxy (req/s)`] = g.requestsPerSecond / undici.requestsPerSecond;
      ratios[`${name} p99 / raw-undici-proxy p99`] = g.latencyMs.p99 / undici.latencyMs.p99;
    }
    if (nginx) ratios[`${name} / nginx (req/s)`] = g.requestsPerSecond / nginx.requestsPerSecond;
  }

  const authOn = load('portico-opaque-l1');
  const authOff = load('portico-auth-off');
  if (authOn && authOff)
    ratios['portico-opaque-l1 / portico-auth-off (req/s)'] =
      authOn.requestsPerSecond / authOff.requestsPerSecond;
  const direct = load('direct');
  if (direct && authOn)
    ratios['portico-opaque-l1 - direct (added p50 ms)'] = authOn.latencyMs.p50 - direct.latencyMs.p50;
  const one = load('portico-scale-1-replica');
  const two = load('portico-scale-2-replicas');
  if (one && two)
    ratios['portico-scale-2-replicas / portico-scale-1-replica (req/s)'] =
      two.requestsPerSecond / one.requestsPerSecond;
  return { ratios, fastestNodeProxy: fastest?.name };
}
