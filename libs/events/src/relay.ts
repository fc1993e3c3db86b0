/**
 * The outbox relay loop shared by the store and the key-manager: each service keeps its own
 * outbox storage and says how one pass publishes it (an OutboxSource); the loop owns the
 * schedule. One pass runs at a time; a write kicks a pass at once (or one more right after the
 * running pass); a failed pass backs off exponentially from pollMs up to RELAY_MAX_BACKOFF_MS,
 * and the first success after an outage resets it. Pending count and oldest pending age are
 * exported as two gauges named by the service.
 */
import type { Logger, Metrics } from '@portico/core';
import { promClient } from '@portico/core';

/**
 * The longest wait between two attempts while Kafka (or the database) is failing: it bounds how
 * late a revocation reaches the gateways once Kafka is back, and a retry every 10 s is cheap.
 */
export const RELAY_MAX_BACKOFF_MS = 10_000;

export interface OutboxStats {
  pending: number;
  oldestAgeSeconds: number;
}

/** What a service's outbox gives the loop. */
export interface OutboxSource {
  /** Publishes what is pending and marks it published; returns how many. Throws to back off. */
  pass(): Promise<number>;
  stats(): Promise<OutboxStats>;
}

export interface OutboxRelayOptions {
  source: OutboxSource;
  logger: Logger;
  /** Time between two passes while all is well. */
  pollMs: number;
  /** The two gauges (pending, oldest age in seconds), registered once per registry. */
  gauges?: {
    metrics: Metrics;
    pending: { name: string; help: string };
    oldestAge: { name: string; help: string };
  };
}

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;
  private lastError: string | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = options;
    if (options.gauges) registerGauges(options.gauges, () => options.source.stats());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops scheduling and waits for the running pass, if any, to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Ask for a pass soon (after a write), without waiting for it; no-op while backing off. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.failures === 0) this.schedule(0);
  }

  /** One pass now, outside the schedule; resolves with how many were published. For tests. */
  runOnce(): Promise<number> {
    return this.options.source.pass();
  }

  stats(): Promise<OutboxStats> {
    return this.options.source.stats();
  }

  /** The error of the last pass, while the relay is failing. */
  lastFailure(): string | undefined {
    return this.lastError;
  }

  /** The wait before the next pass: pollMs when healthy, doubling per failure up to the cap. */
  static delay(pollMs: number, failures: number): number {
    if (failures === 0) return pollMs;
    return Math.min(pollMs * 2 ** failures, RELAY_MAX_BACKOFF_MS);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.running = (async () => {
      try {
        await this.options.source.pass();
        if (this.failures > 0) this.options.logger.info('outbox relay recovered');
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        this.failures += 1;
        this.lastError = (err as Error).message;
        // One warning per outage streak is enough; the gauges show the backlog.
        const log = this.failures === 1 ? 'warn' : 'debug';
        this.options.logger[log](
          { err: this.lastError, failures: this.failures },
          'outbox relay pass failed',
        );
      }
    })().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      const now = this.again && this.failures === 0;
      this.again = false;
      this.schedule(now ? 0 : OutboxRelay.delay(this.options.pollMs, this.failures));
    });
  }
}

function registerGauges(
  gauges: NonNullable<OutboxRelayOptions['gauges']>,
  read: () => Promise<OutboxStats>,
): void {
  const registry = gauges.metrics.registry;
  if (registry.getSingleMetric(gauges.pending.name)) return;
  // Both gauges are collected in the same scrape: they share one read.
  let last: OutboxStats = { pending: 0, oldestAgeSeconds: 0 };
  let inFlight: Promise<OutboxStats> | undefined;
  const refresh = () => {
    inFlight ??= read()
      .catch(() => last)
      .then((s) => {
        last = s;
        return s;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  new promClient.Gauge({
    ...gauges.pending,
    registers: [registry],
    async collect() {
      this.set((await refresh()).pending);
    },
  });
  new promClient.Gauge({
    ...gauges.oldestAge,
    registers: [registry],
    async collect() {
      this.set((await refresh()).oldestAgeSeconds);
    },
  });
}
