/**
 * Applications and subscriptions, with the ownership rule: a developer only ever reaches
 * documents whose `owner` is their subject — every query carries the owner filter, so a foreign
 * id is indistinguishable from a missing one (404) and nothing is touched. Owner, status and
 * ids are assigned here, never taken from the request.
 */
import type { Logger } from '@portico/core';
import { isDuplicateKey } from '@portico/core';
import { newId } from '../ids.ts';
import type { KeyManagerClient } from '../keymanager/port.ts';
import type { Change, EntityBase } from '../outbox/entity-store.ts';
import { insertEntity, mutateEntity } from '../outbox/entity-store.ts';
import type { CatalogService, Notify } from './catalog.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';
import { applicationEvents, subscriptionEvents } from './events.ts';
import { keyManagerFailure } from './km-errors.ts';
import type { ApplicationDoc, StoreModels, SubscriptionDoc } from './models.ts';
import type { Principal } from './principal.ts';
import { isAdmin, ownedBy } from './principal.ts';

export interface AppCreate {
  name: string;
  description?: string | undefined;
  tier?: string | null | undefined;
}
export type AppUpdate = Partial<AppCreate>;
export interface SubCreate {
  applicationId: string;
  apiId: string;
  tier: string;
}
export interface SubUpdate {
  tier?: string | undefined;
  /** Administrators only: block or unblock. */
  status?: SubscriptionDoc['status'] | undefined;
}

const ownerNameKey = (owner: string, name: string) => `${owner}\n${name.toLowerCase()}`;
const pairKey = (applicationId: string, apiId: string) => `${applicationId}:${apiId}`;

export class ApplicationService {
  private readonly models: StoreModels;
  private readonly catalog: CatalogService;
  private readonly km: KeyManagerClient;
  private readonly changed: Notify;
  private readonly logger: Logger;

  constructor(deps: {
    models: StoreModels;
    catalog: CatalogService;
    keyManager: KeyManagerClient;
    changed: Notify;
    logger: Logger;
  }) {
    this.models = deps.models;
    this.catalog = deps.catalog;
    this.km = deps.keyManager;
    this.changed = deps.changed;
    this.logger = deps.logger;
  }

  // ------------------------------------------------------------------ applications
  async list(p: Principal): Promise<ApplicationDoc[]> {
    return (await this.models.applications.collection
      .find({ deleted: false, ...ownedBy(p) })
      .sort({ createdAt: 1 })
      .toArray()) as never;
  }

  /** The caller's application (any application for admins); 404 otherwise. */
  async get(p: Principal, id: string): Promise<ApplicationDoc> {
    const app = (await this.models.applications.collection.findOne({
      _id: id,
      deleted: false,
      ...ownedBy(p),
    } as never)) as ApplicationDoc | null;
    if (!app) throw new NotFound('No such application');
    return app;
  }

  /**
   * Names of the caller's applications among `ids` (any for admins), e.g. for a usage report's
   * top applications; a deleted or foreign application has no entry.
   */
  async namesOf(p: Principal, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const docs = (await this.models.applications.collection
      .find({ _id: { $in: ids }, deleted: false, ...ownedBy(p) } as never, { projection: { name: 1 } })
      .toArray()) as unknown as Array<{ _id: string; name: string }>;
    return new Map(docs.map((d) => [d._id, d.name]));
  }

  async create(p: Principal, input: AppCreate): Promise<ApplicationDoc> {
    const tier = input.tier ?? null;
    if (tier !== null && !(await this.catalog.tierExists(tier)))
      throw new InvalidInput(`Unknown tier ${tier}`, 'unknown_tier');
    try {
      const fields: Omit<ApplicationDoc, keyof EntityBase> = {
        name: input.name,
        ownerNameKey: ownerNameKey(p.subject, input.name),
        owner: p.subject,
        description: input.description ?? '',
        tier,
        deleting: false,
        keys: {},
        orphanClients: [],
      };
      const app = await insertEntity(this.models.applications, newId('app'), fields, applicationEvents);
      this.changed();
      return app;
    } catch (err) {
      if (isDuplicateKey(err))
        throw new Conflict('You already have an application with this name', 'application_exists');
      throw err;
    }
  }

  async update(p: Principal, id: string, patch: AppUpdate): Promise<ApplicationDoc> {
    if (patch.tier && !(await this.catalog.tierExists(patch.tier))) {
      throw new InvalidInput(`Unknown tier ${patch.tier}`, 'unknown_tier');
    }
    const updated = await this.mutateOwned(p, id, (cur) => {
      const set: Partial<ApplicationDoc> = {};
      if (patch.name !== undefined && patch.name !== cur.name) {
        set.name = patch.name;
        set.ownerNameKey = ownerNameKey(cur.owner, patch.name);
      }
      if (patch.description !== undefined && patch.description !== cur.description)
        set.description = patch.description;
      if (patch.tier !== undefined && patch.tier !== cur.tier) set.tier = patch.tier;
      if (Object.keys(set).length === 0) return { kind: 'unchanged' };
      return { kind: 'update', set, events: applicationEvents };
    }).catch((err) => {
      if (isDuplicateKey(err))
        throw new Conflict('You already have an application with this name', 'application_exists');
      throw err;
    });
    return updated;
  }

  /**
   * Deletes an application: (1) marks it `deleting`, drops its keys from what gateways see and
   * queues its key-manager clients; (2) deletes those clients (which revokes all their tokens);
   * (3) removes its subscriptions; (4) tombstones it. A key-manager outage stops at (2) with 503;
   * the background reconciler or a retried DELETE finishes the job.
   */
  async delete(p: Principal, id: string): Promise<void> {
    const app = await mutateEntity(this.models.applications, { _id: id, ...ownedBy(p) }, (cur) => {
      if (cur.deleting) return { kind: 'unchanged' }; // a retried DELETE resumes
      return {
        kind: 'update',
        set: { deleting: true, keys: {}, orphanClients: [...cur.orphanClients, ...activeClients(cur)] },
        events: applicationEvents,
      };
    });
    if (!app) throw new NotFound('No such application');
    this.changed();
    await this.finishDeletion(app._id);
  }

  /** Deletes the key-manager clients queued on the application, then forgets them. */
  async releaseOrphans(appId: string): Promise<void> {
    const app = (await this.models.applications.collection.findOne({
      _id: appId,
    } as never)) as ApplicationDoc | null;
    for (const clientId of app?.orphanClients ?? []) {
      try {
        await this.km.deleteClient(clientId);
      } catch (err) {
        throw keyManagerFailure(err);
      }
      await mutateEntity(
        this.models.applications,
        { _id: appId },
        (cur) => ({
          kind: 'update',
          set: { orphanClients: cur.orphanClients.filter((c) => c !== clientId) },
        }),
        { includeDeleted: true },
      );
    }
  }

  async finishDeletion(appId: string): Promise<void> {
    await this.releaseOrphans(appId);
    const subs = (await this.models.subscriptions.collection
      .find({ applicationId: appId, deleted: false })
      .toArray()) as unknown as SubscriptionDoc[];
    for (const s of subs) await this.tombstoneSubscription(s._id);
    await mutateEntity(this.models.applications, { _id: appId, deleting: true }, (cur) => ({
      kind: 'update',
      set: { deleted: true, ownerNameKey: `deleted:${cur._id}` },
      events: applicationEvents,
    }));
    this.logger.info({ applicationId: appId }, 'application deleted');
    this.changed();
  }

  /** Background: finish deletions and client clean-ups interrupted by an outage or a crash. */
  async reconcile(): Promise<void> {
    const stuck = (await this.models.applications.collection
      .find(
        { $or: [{ deleting: true, deleted: false }, { 'orphanClients.0': { $exists: true } }] },
        { projection: { _id: 1, deleting: 1, deleted: 1 } },
      )
      .limit(50)
      .toArray()) as unknown as ApplicationDoc[];
    for (const app of stuck) {
      if (app.deleting && !app.deleted) await this.finishDeletion(app._id);
      else await this.releaseOrphans(app._id);
    }
  }

  /** Compare-and-set on an application the caller owns and that is not being deleted. */
  async mutateOwned(
    p: Principal,
    id: string,
    decide: (cur: ApplicationDoc) => Change<ApplicationDoc>,
  ): Promise<ApplicationDoc> {
    const updated = await mutateEntity(this.models.applications, { _id: id, ...ownedBy(p) }, (cur) => {
      if (cur.deleting) throw new Conflict('The application is being deleted', 'application_deleting');
      return decide(cur);
    });
    if (!updated) throw new NotFound('No such application');
    this.changed();
    return updated;
  }

  // ------------------------------------------------------------------ subscriptions
  async listSubscriptions(p: Principal, applicationId?: string): Promise<SubscriptionDoc[]> {
    const filter: Record<string, unknown> = { deleted: false, ...ownedBy(p) };
    if (applicationId) filter['applicationId'] = applicationId;
    return (await this.models.subscriptions.collection
      .find(filter)
      .sort({ createdAt: 1 })
      .toArray()) as never;
  }

  async getSubscription(p: Principal, id: string): Promise<SubscriptionDoc> {
    const sub = (await this.models.subscriptions.collection.findOne({
      _id: id,
      deleted: false,
      ...ownedBy(p),
    } as never)) as SubscriptionDoc | null;
    if (!sub) throw new NotFound('No such subscription');
    return sub;
  }

  async subscribe(p: Principal, input: SubCreate): Promise<SubscriptionDoc> {
    const app = await this.get(p, input.applicationId);
    if (app.deleting) throw new Conflict('The application is being deleted', 'application_deleting');
    const api = await this.catalog.getApi(p, input.apiId);
    if (api.lifecycle !== 'PUBLISHED') {
      throw new Conflict(
        `The API is ${api.lifecycle}; only PUBLISHED APIs take new subscriptions`,
        'api_not_published',
      );
    }
    if (!(await this.catalog.tierExists(input.tier)))
      throw new InvalidInput(`Unknown tier ${input.tier}`, 'unknown_tier');
    // An admin's block belongs to the application x API pair: unsubscribing and subscribing
    // again must not lift it. The newest removed subscription of the pair says.
    const previous = (await this.models.subscriptions.collection
      .find({ applicationId: app._id, apiId: api._id, deleted: true } as never)
      .sort({ updatedAt: -1 })
      .limit(1)
      .toArray()) as unknown as SubscriptionDoc[];
    const blocked = previous[0]?.status === 'BLOCKED';
    try {
      const fields: Omit<SubscriptionDoc, keyof EntityBase> = {
        applicationId: app._id,
        apiId: api._id,
        owner: app.owner,
        pairKey: pairKey(app._id, api._id),
        tier: input.tier,
        status: blocked ? 'BLOCKED' : 'ACTIVE',
      };
      const sub = await insertEntity(this.models.subscriptions, newId('sub'), fields, subscriptionEvents);
      this.changed();
      // The application may have started deleting meanwhile: do not leave a subscription behind.
      const fresh = await this.get(p, app._id).catch(() => undefined);
      if (!fresh || fresh.deleting) {
        await this.tombstoneSubscription(sub._id);
        throw new NotFound('No such application');
      }
      return sub;
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw new Conflict('The application is already subscribed to this API', 'subscription_exists');
      }
      throw err;
    }
  }

  async updateSubscription(p: Principal, id: string, patch: SubUpdate): Promise<SubscriptionDoc> {
    if (patch.status !== undefined && !isAdmin(p)) {
      throw new InvalidInput('Only administrators can block or unblock a subscription', 'forbidden_field');
    }
    if (patch.tier !== undefined && !(await this.catalog.tierExists(patch.tier))) {
      throw new InvalidInput(`Unknown tier ${patch.tier}`, 'unknown_tier');
    }
    const updated = await mutateEntity(this.models.subscriptions, { _id: id, ...ownedBy(p) }, (cur) => {
      const set: Partial<SubscriptionDoc> = {};
      if (patch.tier !== undefined && patch.tier !== cur.tier) set.tier = patch.tier;
      if (patch.status !== undefined && patch.status !== cur.status) set.status = patch.status;
      if (Object.keys(set).length === 0) return { kind: 'unchanged' };
      return { kind: 'update', set, events: subscriptionEvents };
    });
    if (!updated) throw new NotFound('No such subscription');
    this.changed();
    return updated;
  }

  /**
   * Removing a subscription publishes subscription.deleted: gateways then refuse the
   * application's tokens on that API at once. The tokens themselves stay valid for the
   * application's other subscriptions (they belong to the application, not the subscription).
   */
  async unsubscribe(p: Principal, id: string): Promise<void> {
    await this.getSubscription(p, id);
    await this.tombstoneSubscription(id);
    this.changed();
  }

  private async tombstoneSubscription(id: string): Promise<void> {
    await mutateEntity(this.models.subscriptions, { _id: id }, (cur) => ({
      kind: 'update',
      set: { deleted: true, pairKey: `deleted:${cur._id}` },
      events: subscriptionEvents,
    }));
  }
}

function activeClients(app: ApplicationDoc): string[] {
  return Object.values(app.keys).flatMap((k) => (k?.state === 'ACTIVE' ? [k.clientId] : []));
}
