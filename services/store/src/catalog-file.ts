/**
 * The declarative catalog (CATALOG_FILE, mounted from a ConfigMap by Helm): YAML with `tiers`
 * and `apis`, validated by the same schema as the admin import endpoint.
 *
 *   tiers:
 *     - { name: Platinum, requests: 20000, unitSeconds: 60, burst: 100 }
 *   apis:
 *     - name: Twitter
 *       version: 1.0.0
 *       context: /twitter/1.0.0
 *       productionUrl: https://api.twitter.example/
 *       lifecycle: PUBLISHED
 */
import { readFile } from 'node:fs/promises';
import { badRequest } from '@portico/core';
import { parse } from 'yaml';
import type { CatalogDocument } from './domain/catalog.ts';
import { catalogDocument } from './http/routes/admin.ts';

/** Parses YAML safely (bounded aliases, unique keys); validation is the caller's (one schema). */
export function parseYaml(text: string, source: string): unknown {
  try {
    return parse(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true }) ?? {};
  } catch (err) {
    throw badRequest(
      `${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      undefined,
      'invalid_yaml',
    );
  }
}

export function parseCatalog(text: string, source = 'catalog'): CatalogDocument {
  return catalogDocument.parse(parseYaml(text, source));
}

export async function readCatalogFile(path: string): Promise<CatalogDocument> {
  return parseCatalog(await readFile(path, 'utf8'), path);
}
