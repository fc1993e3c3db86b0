/**
 * Readiness is the conjunction of named checks, each bounded in time. A check throws (or
 * rejects) to say "not ready"; its message is reported on /readyz, which is not public.
 */
export interface HealthCheck {
  name: string;
  check(): Promise<void> | void;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

export async function runChecks(checks: HealthCheck[], timeoutMs = 2000): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => c.check()),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [c.name, 'ok'] as const;
      } catch (err) {
        return [c.name, err instanceof Error ? err.message : String(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report: ReadinessReport = { ready: true, checks: {} };
  for (const [name, result] of results) {
    report.checks[name] = result;
    if (result !== 'ok') report.ready = false;
  }
  return report;
}
