// Small helpers for this package's own tests (not exported from @portico/testing).
import { randomBytes } from 'node:crypto';

/** A name unique to this run, safe for topics, group ids and database names. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * Polls `probe` until it returns a value that is not undefined/false, or rejects after `timeoutMs`
 * with `message` and the last error seen. Tests poll; they never sleep and hope.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  message: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = `: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`${message} (not within ${timeoutMs} ms${lastError})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
