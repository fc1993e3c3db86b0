/** Revocation lag across gateway replicas: revoke (RFC 7009), then poll each replica until it refuses. */
import type { Stack } from '@portico/e2e';
import { basic, clientToken, status } from './calls.ts';
import type { PorticoBenchOptions } from './portico.ts';
import type { ScenarioResult } from './report.ts';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Revoke (RFC 7009) a token every replica holds as valid; time from the answer to the first 401
 * on each replica, and until the last of them refuses ("all replicas").
 */
export async function revocationLag(
  stack: Stack,
  gateways: string[],
  client: { clientId: string; clientSecret: string },
  path: string,
  options: Pick<PorticoBenchOptions, 'revocations' | 'log'>,
): Promise<ScenarioResult> {
  const name = 'revocation-lag';
  const description = `revoke answer -> first 401 on each of ${gateways.length} replicas and on all of them ("all replicas"), ${options.revocations} revocations (tokens cached as valid first)`;
  const lags: number[][] = gateways.map(() => []);
  /** Per revocation: until the last replica refused (the promise is about every replica). */
  const untilAll: number[] = [];
  let lost = 0;
  try {
    for (let i = 0; i < options.revocations; i += 1) {
      const token = await clientToken(stack, client.clientId, client.clientSecret);
      for (const gw of gateways)
        if ((await status(`${gw}${path}`, token)) !== 200) throw new Error('token refused');
      const res = await fetch(`${stack.keyManagerUrl}/token/revocation`, {
        method: 'POST',
        headers: {
          authorization: basic(client.clientId, client.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`revocation answered ${res.status}`);
      const t0 = performance.now();
      const each = await Promise.all(
        gateways.map(async (gw, r) => {
          while (performance.now() - t0 < 10_000) {
            if ((await status(`${gw}${path}`, token)) === 401) {
              const lag = performance.now() - t0;
              lags[r]!.push(lag);
              return lag;
            }
          }
          lost += 1;
          return undefined;
        }),
      );
      if (each.every((lag) => lag !== undefined)) untilAll.push(Math.max(...each));
    }
    const metrics: Record<string, number> = { lost };
    lags.forEach((l, r) => {
      const sorted = [...l].sort((a, b) => a - b);
      metrics[`gateway-${r + 1} p50 ms`] = percentile(sorted, 50);
      metrics[`gateway-${r + 1} p99 ms`] = percentile(sorted, 99);
      metrics[`gateway-${r + 1} max ms`] = sorted.at(-1) ?? Number.NaN;
    });
    const all = [...untilAll].sort((a, b) => a - b);
    metrics['all replicas p50 ms'] = percentile(all, 50);
    metrics['all replicas p99 ms'] = percentile(all, 99);
    metrics['all replicas max ms'] = all.at(-1) ?? Number.NaN;
    metrics['revocations'] = options.revocations;
    options.log(
      `${name}: until every replica refuses p50 ${metrics['all replicas p50 ms']?.toFixed(1)} / p99 ${metrics['all replicas p99 ms']?.toFixed(1)} ms, lost ${lost}`,
    );
    return { name, description, metrics };
  } catch (err) {
    return { name, description, error: (err as Error).message };
  }
}
