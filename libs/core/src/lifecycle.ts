/**
 * Start-up and graceful shutdown. Resources register a stop step as they are created; on
 * SIGTERM/SIGINT the service first reports "draining" (readiness 503), then stops accepting
 * connections and waits for in-flight requests, then closes its dependencies in reverse order.
 * A timeout bounds the whole sequence.
 */

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from './logger.ts';

export interface StopStep {
  name: string;
  stop(): Promise<void> | void;
}

export class Lifecycle {
  private readonly steps: StopStep[] = [];
  private stopping: Promise<void> | undefined;
  private draining = false;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(logger: Logger, timeoutMs: number) {
    this.logger = logger;
    this.timeoutMs = timeoutMs;
  }

  isDraining = (): boolean => this.draining;

  /** Registers a stop step; steps run in reverse order of registration. */
  onStop(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  trapSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const handler = (signal: NodeJS.Signals) => {
      this.logger.info({ signal }, 'shutdown requested');
      void this.stop().then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }

  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<void> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`shutdown timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
    });
    try {
      await Promise.race([this.runSteps(), timeout]);
      this.logger.info('shutdown complete');
    } catch (err) {
      this.logger.error({ err }, 'shutdown failed');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async runSteps(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      try {
        await step.stop();
      } catch (err) {
        this.logger.warn({ err, step: step.name }, 'stop step failed');
      }
    }
  }
}

/** Listens and registers the drain step. Resolves once the port is bound. */
export async function listen(
  app: Express,
  port: number,
  host: string,
  lifecycle: Lifecycle,
  name = 'http',
): Promise<Server> {
  const server = app.listen(port, host);
  await once(server, 'listening');
  // Keep-alive slightly above common proxy idle timeouts, headers bounded.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  lifecycle.onStop(name, () => closeServer(server));
  return server;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // A keep-alive connection whose response finishes while draining becomes idle and would
    // hold close() until its keep-alive timeout: close idle connections as they appear.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export function boundPort(server: Server): number {
  const address = server.address();
  if (address && typeof address === 'object') return address.port;
  throw new Error('server is not listening on a TCP port');
}
