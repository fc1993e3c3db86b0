/**
 * The gateway's in-memory read model: APIs by context, tiers, applications (and through their
 * keys, OAuth client -> application), subscriptions (application x API) and client status.
 *
 * Rules:
 * - Every entity carries a `revision`; an upsert or delete is applied only when its revision is
 *   newer than what is held, so a snapshot and the replayed stream converge in any order.
 * - A delete leaves a tombstone (its revision) so an older upsert replayed later cannot revive it.
 * - Lookups are synchronous and O(1) (or O(depth) for context matching): they run per request.
 */
import type {
  ApplicationEvent,
  CatalogEvent,
  ClientEvent,
  KeyType,
  ReadModelSnapshot,
  SubscriptionEvent,
} from '@portico/events';

export type Api = Extract<CatalogEvent, { type: 'api.upserted' }>['data'];
export type Tier = Extract<CatalogEvent, { type: 'tier.upserted' }>['data'];
export type Application = Extract<ApplicationEvent, { type: 'application.upserted' }>['data'];
export type Subscription = Extract<SubscriptionEvent, { type: 'subscription.upserted' }>['data'];
export type ClientInfo = Extract<ClientEvent, { type: 'client.upserted' }>['data'];
export type EntityEvent = CatalogEvent | ApplicationEvent | SubscriptionEvent | ClientEvent;

export interface ApplicationKey {
  application: Application;
  keyType: KeyType;
  allowedDomains: string[];
}

/** One kind of entity: the latest revision of each id, with tombstones for deletes. */
class Versioned<T> {
  private readonly live = new Map<string, { revision: number; value: T }>();
  private readonly deleted = new Map<string, number>();

  /** Returns the replaced value when applied, `false` when the revision is not newer. */
  upsert(id: string, revision: number, value: T): T | undefined | false {
    if (!this.isNewer(id, revision)) return false;
    const old = this.live.get(id)?.value;
    this.deleted.delete(id);
    this.live.set(id, { revision, value });
    return old;
  }

  remove(id: string, revision: number): T | undefined | false {
    if (!this.isNewer(id, revision)) return false;
    const old = this.live.get(id)?.value;
    this.live.delete(id);
    this.deleted.set(id, revision);
    return old;
  }

  get(id: string): T | undefined {
    return this.live.get(id)?.value;
  }

  values(): IterableIterator<T> {
    return [...this.live.values()].map((v) => v.value)[Symbol.iterator]();
  }

  get size(): number {
    return this.live.size;
  }

  private isNewer(id: string, revision: number): boolean {
    const current = this.live.get(id)?.revision ?? this.deleted.get(id);
    return current === undefined || revision > current;
  }
}

export class ReadModel {
  private readonly apis = new Versioned<Api>();
  private readonly tiers = new Versioned<Tier>();
  private readonly applications = new Versioned<Application>();
  private readonly subscriptions = new Versioned<Subscription>();
  private readonly clients = new Versioned<ClientInfo>();
  // Derived indexes, rebuilt on each change of their source entity.
  private readonly apiByContext = new Map<string, Api>();
  private readonly keyByClient = new Map<string, ApplicationKey>();
  private readonly subscriptionByAppApi = new Map<string, Subscription>();
  private loaded = false;

  isLoaded(): boolean {
    return this.loaded;
  }

  /** Called once the snapshot is in and the topics have been replayed: routes may be served. */
  markLoaded(): void {
    this.loaded = true;
  }

  loadSnapshot(snapshot: ReadModelSnapshot): void {
    for (const api of snapshot.apis) this.applyApi(api);
    for (const tier of snapshot.tiers) this.tiers.upsert(tier.name, tier.revision, tier);
    for (const app of snapshot.applications) this.applyApplication(app);
    for (const sub of snapshot.subscriptions) this.applySubscription(sub);
  }

  /** Applies one entity event; stale revisions are ignored. */
  apply(event: EntityEvent): void {
    switch (event.type) {
      case 'api.upserted':
        this.applyApi(event.data);
        return;
      case 'api.deleted': {
        const old = this.apis.remove(event.data.apiId, event.data.revision);
        if (old) this.apiByContext.delete(old.context);
        return;
      }
      case 'tier.upserted':
        this.tiers.upsert(event.data.name, event.data.revision, event.data);
        return;
      case 'tier.deleted':
        this.tiers.remove(event.data.name, event.data.revision);
        return;
      case 'application.upserted':
        this.applyApplication(event.data);
        return;
      case 'application.deleted': {
        const old = this.applications.remove(event.data.applicationId, event.data.revision);
        if (old) this.unindexApplication(old);
        return;
      }
      case 'subscription.upserted':
        this.applySubscription(event.data);
        return;
      case 'subscription.deleted': {
        const old = this.subscriptions.remove(event.data.subscriptionId, event.data.revision);
        if (old) this.subscriptionByAppApi.delete(subKey(old.applicationId, old.apiId));
        return;
      }
      case 'client.upserted':
        this.clients.upsert(event.data.clientId, event.data.revision, event.data);
        return;
      case 'client.deleted':
        this.clients.remove(event.data.clientId, event.data.revision);
        return;
    }
  }

  /** The API whose context is the longest segment-aligned prefix of `path`. */
  matchApi(path: string): { api: Api; rest: string } | undefined {
    let end = path.length;
    for (;;) {
      const candidate = path.slice(0, end);
      const api = this.apiByContext.get(candidate);
      if (api) return { api, rest: path.slice(end) };
      end = candidate.lastIndexOf('/');
      if (end <= 0) return undefined;
    }
  }

  keyForClient(clientId: string): ApplicationKey | undefined {
    return this.keyByClient.get(clientId);
  }

  client(clientId: string): ClientInfo | undefined {
    return this.clients.get(clientId);
  }

  subscription(applicationId: string, apiId: string): Subscription | undefined {
    return this.subscriptionByAppApi.get(subKey(applicationId, apiId));
  }

  tier(name: string): Tier | undefined {
    return this.tiers.get(name);
  }

  application(applicationId: string): Application | undefined {
    return this.applications.get(applicationId);
  }

  counts(): Record<string, number> {
    return {
      apis: this.apis.size,
      tiers: this.tiers.size,
      applications: this.applications.size,
      subscriptions: this.subscriptions.size,
      clients: this.clients.size,
    };
  }

  private applyApi(api: Api): void {
    const old = this.apis.upsert(api.apiId, api.revision, api);
    if (old === false) return;
    if (old) this.apiByContext.delete(old.context);
    this.apiByContext.set(api.context, api);
  }

  private applyApplication(app: Application): void {
    const old = this.applications.upsert(app.applicationId, app.revision, app);
    if (old === false) return;
    if (old) this.unindexApplication(old);
    for (const key of app.keys) {
      this.keyByClient.set(key.clientId, {
        application: app,
        keyType: key.keyType,
        allowedDomains: key.allowedDomains,
      });
    }
  }

  private unindexApplication(app: Application): void {
    for (const key of app.keys) {
      if (this.keyByClient.get(key.clientId)?.application.applicationId === app.applicationId) {
        this.keyByClient.delete(key.clientId);
      }
    }
  }

  private applySubscription(sub: Subscription): void {
    const old = this.subscriptions.upsert(sub.subscriptionId, sub.revision, sub);
    if (old === false) return;
    if (old) this.subscriptionByAppApi.delete(subKey(old.applicationId, old.apiId));
    this.subscriptionByAppApi.set(subKey(sub.applicationId, sub.apiId), sub);
  }
}

function subKey(applicationId: string, apiId: string): string {
  return `${applicationId}\u0000${apiId}`;
}
