/**
 * The API catalog and the subscription tiers. Admins write; developers read published,
 * public APIs only. Lifecycle transitions follow WSO2's (only PUBLISHED takes new
 * subscriptions; the table is shared with the portal, libs/contracts). Every change goes
 * through the entity outbox.
 */
import type { OpenResource } from '@portico/contracts';
import { LIFECYCLE_TRANSITIONS } from '@portico/contracts';
import { isDuplicateKey } from '@portico/core';
import { newId } from '../ids.ts';
import type { Change, EntityBase } from '../outbox/entity-store.ts';
import { insertEntity, mutateEntity } from '../outbox/entity-store.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';
import { apiEvents, tierEvents } from './events.ts';
import type { ApiDoc, Lifecycle, StoreModels, TierDoc } from './models.ts';
import type { Principal } from './principal.ts';
import { isAdmin } from './principal.ts';

export const BUILT_IN_TIERS: Array<
  Pick<TierDoc, 'description' | 'requests' | 'unitSeconds' | 'burst'> & {
    name: string;
  }
> = [
  {
    name: 'Gold',
    description: 'Allows 5000 requests per minute',
    requests: 5000,
    unitSeconds: 60,
    burst: null,
  },
  {
    name: 'Silver',
    description: 'Allows 2000 requests per minute',
    requests: 2000,
    unitSeconds: 60,
    burst: null,
  },
  {
    name: 'Bronze',
    description: 'Allows 1000 requests per minute',
    requests: 1000,
    unitSeconds: 60,
    burst: null,
  },
  {
    name: 'Unlimited',
    description: 'Allows unlimited requests',
    requests: null,
    unitSeconds: 60,
    burst: null,
  },
];

const DEVELOPER_VISIBLE: Lifecycle[] = ['PUBLISHED', 'DEPRECATED', 'BLOCKED'];
const MAX_DEFINITION_CHARS = 256 * 1024;

/** A new API as the catalog takes it (http/routes/apis.ts validates the shape). */
export interface ApiCreate {
  name: string;
  version: string;
  context: string;
  description?: string | undefined;
  productionUrl: string;
  sandboxUrl?: string | null | undefined;
  scopes?: string[] | undefined;
  /** Resources that need no token (auth type None). */
  openResources?: OpenResource[] | undefined;
  visibility?: ApiDoc['visibility'] | undefined;
  /** The API's own OpenAPI document. */
  definition?: Record<string, unknown> | undefined;
}
/** Version and context are an API's identity: fixed once created. */
export type ApiUpdate = Partial<Omit<ApiCreate, 'version' | 'context'>>;
export interface TierBody {
  description?: string | undefined;
  /** Requests allowed per `unitSeconds`; null = unlimited. */
  requests: number | null;
  unitSeconds: number;
  burst?: number | null | undefined;
}
/** CATALOG_FILE and the admin import: tiers by name, APIs by context. */
export interface CatalogDocument {
  tiers?: Array<TierBody & { name: string }> | undefined;
  apis?: Array<ApiCreate & { lifecycle?: Lifecycle | undefined }> | undefined;
}
export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export type Notify = () => void;

export class CatalogService {
  private readonly models: StoreModels;
  private readonly changed: Notify;

  constructor(models: StoreModels, changed: Notify) {
    this.models = models;
    this.changed = changed;
  }

  // ------------------------------------------------------------------ APIs
  async listApis(p: Principal): Promise<ApiDoc[]> {
    const filter: Record<string, unknown> = { deleted: false };
    if (!isAdmin(p)) Object.assign(filter, { visibility: 'PUBLIC', lifecycle: { $in: DEVELOPER_VISIBLE } });
    return (await this.models.apis.collection.find(filter).sort({ name: 1, version: 1 }).toArray()) as never;
  }

  /** An API as this caller may see it; 404 when it does not exist or is not visible to them. */
  async getApi(p: Principal, id: string): Promise<ApiDoc> {
    const api = (await this.models.apis.collection.findOne({
      _id: id,
      deleted: false,
    } as never)) as ApiDoc | null;
    if (
      !api ||
      (!isAdmin(p) && (api.visibility !== 'PUBLIC' || !DEVELOPER_VISIBLE.includes(api.lifecycle)))
    ) {
      throw new NotFound('No such API');
    }
    return api;
  }

  async createApi(input: ApiCreate, lifecycle: Lifecycle = 'CREATED'): Promise<ApiDoc> {
    const fields = apiFields(input);
    try {
      const doc = await insertEntity(
        this.models.apis,
        newId('api'),
        { ...fields, lifecycle } as Omit<ApiDoc, keyof EntityBase>,
        apiEvents,
      );
      this.changed();
      return doc;
    } catch (err) {
      if (isDuplicateKey(err))
        throw new Conflict('An API with this context or name and version exists', 'api_exists');
      throw err;
    }
  }

  async updateApi(id: string, patch: ApiUpdate): Promise<ApiDoc> {
    const updated = await mutateEntity(this.models.apis, { _id: id }, (cur) => {
      const set: Partial<ApiDoc> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.productionUrl !== undefined) set.productionUrl = patch.productionUrl;
      if (patch.sandboxUrl !== undefined) set.sandboxUrl = patch.sandboxUrl;
      if (patch.scopes !== undefined) set.scopes = [...new Set(patch.scopes)];
      if (patch.openResources !== undefined) set.openResources = uniqueResources(patch.openResources);
      if (patch.visibility !== undefined) set.visibility = patch.visibility;
      if (patch.definition !== undefined) set.definition = definitionText(patch.definition);
      if (set.name !== undefined) set.nameVersionKey = nameVersionKey(set.name, cur.version);
      return changeIfDifferent(cur, set, apiEvents);
    }).catch((err) => {
      if (isDuplicateKey(err)) throw new Conflict('An API with this name and version exists', 'api_exists');
      throw err;
    });
    if (!updated) throw new NotFound('No such API');
    this.changed();
    return updated;
  }

  async changeLifecycle(id: string, state: Lifecycle): Promise<ApiDoc> {
    const updated = await mutateEntity(this.models.apis, { _id: id }, (cur) => {
      if (cur.lifecycle === state) return { kind: 'unchanged' };
      if (!LIFECYCLE_TRANSITIONS[cur.lifecycle].includes(state)) {
        throw new Conflict(
          `Cannot move an API from ${cur.lifecycle} to ${state} (allowed: ${LIFECYCLE_TRANSITIONS[cur.lifecycle].join(', ') || 'none'})`,
          'invalid_lifecycle_transition',
        );
      }
      return { kind: 'update', set: { lifecycle: state }, events: apiEvents };
    });
    if (!updated) throw new NotFound('No such API');
    this.changed();
    return updated;
  }

  async deleteApi(id: string): Promise<void> {
    const inUse = await this.models.subscriptions.collection.countDocuments({ apiId: id, deleted: false });
    if (inUse > 0)
      throw new Conflict(`The API has ${inUse} subscription(s); remove them first`, 'api_in_use');
    const deleted = await mutateEntity(this.models.apis, { _id: id }, (cur) => ({
      kind: 'update',
      set: { deleted: true, contextKey: `deleted:${cur._id}`, nameVersionKey: `deleted:${cur._id}` },
      events: apiEvents,
    }));
    if (!deleted) throw new NotFound('No such API');
    this.changed();
  }

  // ------------------------------------------------------------------ tiers
  async listTiers(): Promise<TierDoc[]> {
    return (await this.models.tiers.collection.find({ deleted: false }).sort({ _id: 1 }).toArray()) as never;
  }

  async getTier(name: string): Promise<TierDoc> {
    const tier = (await this.models.tiers.collection.findOne({
      _id: name,
      deleted: false,
    } as never)) as TierDoc | null;
    if (!tier) throw new NotFound('No such tier');
    return tier;
  }

  async tierExists(name: string): Promise<boolean> {
    return (await this.models.tiers.collection.countDocuments({ _id: name, deleted: false } as never)) > 0;
  }

  /**
   * Creates a tier; a live tier of that name is refused (409 tier_exists). Replacing one is
   * putTier, an explicit edit: a create form that replaced silently wiped the old description.
   */
  async createTier(name: string, body: TierBody): Promise<TierDoc> {
    return (await this.putTier(name, body, false, { createOnly: true })).tier;
  }

  /** Creates or replaces a tier (idempotent: an identical tier is left untouched). */
  async putTier(
    name: string,
    body: TierBody,
    builtIn = false,
    options: { createOnly?: boolean } = {},
  ): Promise<{ tier: TierDoc; outcome: keyof ImportCounts }> {
    const fields = {
      description: body.description ?? '',
      requests: body.requests,
      unitSeconds: body.unitSeconds,
      burst: body.burst ?? null,
    };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result: { outcome: keyof ImportCounts } = { outcome: 'updated' };
      const updated = await mutateEntity(
        this.models.tiers,
        { _id: name },
        (cur) => {
          if (options.createOnly && !cur.deleted)
            throw new Conflict(`A tier named ${name} already exists`, 'tier_exists');
          const set = { ...fields, deleted: false, builtIn: cur.builtIn || builtIn };
          const change = changeIfDifferent(cur, set, tierEvents);
          if (change.kind === 'unchanged') result.outcome = 'unchanged';
          else if (cur.deleted) result.outcome = 'created';
          return change;
        },
        { includeDeleted: true },
      );
      if (updated) {
        if (result.outcome !== 'unchanged') this.changed();
        return { tier: updated, outcome: result.outcome };
      }
      try {
        const tier = await insertEntity(this.models.tiers, name, { ...fields, builtIn } as never, tierEvents);
        this.changed();
        return { tier: tier as TierDoc, outcome: 'created' };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // created concurrently: update it on the next attempt
      }
    }
    throw new Conflict('The tier changed concurrently, try again');
  }

  async deleteTier(name: string): Promise<void> {
    const tier = await this.getTier(name);
    if (tier.builtIn) throw new Conflict('Built-in tiers cannot be deleted', 'tier_built_in');
    const subs = await this.models.subscriptions.collection.countDocuments({ tier: name, deleted: false });
    const apps = await this.models.applications.collection.countDocuments({ tier: name, deleted: false });
    if (subs + apps > 0)
      throw new Conflict('The tier is in use by subscriptions or applications', 'tier_in_use');
    await mutateEntity(this.models.tiers, { _id: name }, () => ({
      kind: 'update',
      set: { deleted: true },
      events: tierEvents,
    }));
    this.changed();
  }

  async ensureBuiltInTiers(): Promise<void> {
    for (const t of BUILT_IN_TIERS) {
      const existing = await this.models.tiers.collection.countDocuments({ _id: t.name } as never);
      if (existing === 0) await this.putTier(t.name, t, true);
    }
  }

  // ------------------------------------------------------------------ declarative import
  /**
   * Applies a catalog document idempotently: tiers by name, APIs by context. What is not in the
   * document is left alone (the file adds and updates, it does not delete).
   */
  async applyCatalog(doc: CatalogDocument): Promise<{ tiers: ImportCounts; apis: ImportCounts }> {
    const tiers: ImportCounts = { created: 0, updated: 0, unchanged: 0 };
    const apis: ImportCounts = { created: 0, updated: 0, unchanged: 0 };
    for (const t of doc.tiers ?? []) {
      const { name, ...body } = t;
      tiers[(await this.putTier(name, body)).outcome] += 1;
    }
    for (const a of doc.apis ?? []) {
      const { lifecycle, ...input } = a;
      const existing = (await this.models.apis.collection.findOne({
        contextKey: contextKey(a.context),
      } as never)) as ApiDoc | null;
      if (!existing) {
        await this.createApi(input, lifecycle ?? 'CREATED');
        apis.created += 1;
        continue;
      }
      const desired = { ...apiFields(input), ...(lifecycle ? { lifecycle } : {}) };
      let unchanged = false;
      await mutateEntity(this.models.apis, { _id: existing._id }, (cur) => {
        const change = changeIfDifferent(cur, desired, apiEvents);
        unchanged = change.kind === 'unchanged';
        return change;
      }).catch((err) => {
        if (isDuplicateKey(err))
          throw new InvalidInput(`API ${a.name} ${a.version}: name and version already used`);
        throw err;
      });
      if (unchanged) apis.unchanged += 1;
      else {
        apis.updated += 1;
        this.changed();
      }
    }
    return { tiers, apis };
  }
}

export const contextKey = (context: string): string => context.toLowerCase();
const nameVersionKey = (name: string, version: string): string => `${name.toLowerCase()}\n${version}`;

function definitionText(definition: Record<string, unknown> | undefined): string | null {
  if (definition === undefined) return null;
  const text = JSON.stringify(definition);
  if (text.length > MAX_DEFINITION_CHARS) {
    throw new InvalidInput(`The API definition is larger than ${MAX_DEFINITION_CHARS} characters`);
  }
  return text;
}

function uniqueResources(resources: OpenResource[]): OpenResource[] {
  const seen = new Map(resources.map((r) => [`${r.method} ${r.path}`, { method: r.method, path: r.path }]));
  return [...seen.values()];
}

function apiFields(input: ApiCreate) {
  return {
    name: input.name,
    version: input.version,
    context: input.context,
    contextKey: contextKey(input.context),
    nameVersionKey: nameVersionKey(input.name, input.version),
    description: input.description ?? '',
    productionUrl: input.productionUrl,
    sandboxUrl: input.sandboxUrl ?? null,
    scopes: [...new Set(input.scopes ?? [])],
    openResources: uniqueResources(input.openResources ?? []),
    visibility: input.visibility ?? 'PUBLIC',
    definition: definitionText(input.definition),
  };
}

function changeIfDifferent<T extends object>(
  cur: T,
  set: Partial<T>,
  events: (next: T) => ReturnType<typeof apiEvents>,
): Change<T> {
  const differs = Object.entries(set).some(
    ([k, v]) => JSON.stringify((cur as Record<string, unknown>)[k] ?? null) !== JSON.stringify(v ?? null),
  );
  return differs ? { kind: 'update', set: set as never, events } : { kind: 'unchanged' };
}
