import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Logger } from '@portico/core';
import { createLogger } from '@portico/core';

/** A name no other test run uses: for databases, topics, key prefixes and group ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  message?: string;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or throws after the
 * timeout with the last error seen. Tests poll instead of sleeping.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(
        `${options.message ?? 'condition not met'} within ${options.timeoutMs ?? 10_000} ms${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** A logger whose JSON lines are kept in memory, so tests can assert on what was logged. */
export function memoryLogger(name = 'test', level = 'debug'): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ name, level, destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0),
  };
}

/** Silent logger unless PORTICO_TEST_LOGS=1. */
export function testLogger(name = 'test'): Logger {
  return createLogger({ name, level: process.env['PORTICO_TEST_LOGS'] === '1' ? 'debug' : 'silent' });
}
