/**
 * Loads the read-model snapshot. A file (READ_MODEL_FILE) and the store's endpoint
 * (GET {STORE_URL}/internal/read-model) go through the same parser, so a file is exactly what the
 * store would have answered. A bad snapshot is an error naming the source, never a partial load.
 */
import { readFile } from 'node:fs/promises';
import type { ReadModelSnapshot } from '@portico/events';
import { readModelSnapshot } from '@portico/events';

export type SnapshotSource =
  | { kind: 'file'; path: string }
  | { kind: 'store'; url: string; token: string; timeoutMs: number };

export function parseSnapshot(raw: string, origin: string): ReadModelSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`read model from ${origin} is not JSON: ${(err as Error).message}`);
  }
  const result = readModelSnapshot.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new Error(`read model from ${origin} is invalid: ${issues}`);
  }
  return result.data;
}

export async function fetchSnapshot(source: SnapshotSource): Promise<ReadModelSnapshot> {
  if (source.kind === 'file') {
    return parseSnapshot(await readFile(source.path, 'utf8'), source.path);
  }
  const url = `${source.url.replace(/\/+$/, '')}/internal/read-model`;
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${source.token}`, accept: 'application/json' },
    signal: AbortSignal.timeout(source.timeoutMs),
  });
  if (!res.ok) throw new Error(`read model from ${url}: HTTP ${res.status}`);
  return parseSnapshot(await res.text(), url);
}
