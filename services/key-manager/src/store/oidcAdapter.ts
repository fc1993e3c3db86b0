/**
 * The oidc-provider adapter over MongoDB/FerretDB. Rules:
 * - Stored ids are HMAC-SHA256(TOKEN_HASH_KEY, id): the database never holds a token value.
 *   Token payloads also drop their `jti` (which is the opaque token itself); it is restored on
 *   read from the id the caller presented.
 * - Payloads are sealed with the keyring when encryption is on (a partition may have its own);
 *   the AAD binds the ciphertext to its collection and stored id. Unopenable = "not found".
 * - Expiry is enforced on every read (`expiresAt > now`), never by a TTL index. A lookup filters on
 *   `_id` ONLY and checks expiry on the fetched document: FerretDB pushes a filter down to SQLite
 *   only when it is exactly `{_id}`; with any other key it decodes and filters every document of
 *   the collection in Go (measured ~5-10x slower, growing with the number of stored tokens).
 * - A new token is INSERTED (its id is fresh randomness); only a duplicate id falls back to
 *   replaceOne. FerretDB runs an update as a scan of the whole collection under its global write
 *   lock, while an insert only probes the unique `_id` index, so this keeps issuance independent
 *   of how many tokens are stored.
 * - Access/refresh tokens and codes of users of a mapped user-store domain live in that
 *   partition's collections; the partition is read from the token value's prefix.
 * - `consume` is one atomic conditional update: of concurrent uses of one refresh token or code,
 *   exactly one wins; the others count as reuse (the grant is revoked, `invalid_grant`). That ends
 *   the winner's new tokens too, even those it saves after the revocation: the durable
 *   `grant:<id>` outbox marker is checked on every read (and by JWT introspection), and the Grant
 *   is deleted, so no lock or transaction spans the replicas.
 * - Ending a token writes its revocation outbox record first (outbox.ts), then deletes.
 * - Read cache (`TokenCache`, tokenCache.ts): the records of access tokens (AccessToken, ClientCredentials) this
 *   process wrote itself are kept for a while, so introspecting them needs no token lookup. Records
 *   read from the database are not cached (another replica's token, or a record changed in the
 *   database, is always read fresh). Only the stored record is cached: expiry and the revocation
 *   outbox (`isRevoked`) are still checked on every use, and every path that ends such a token on
 *   any replica writes an outbox record first. A cached id also answers "not here" for the other
 *   models (ids are unique random values), which spares introspection the lookups in the other
 *   collections. Models that are consumed (refresh tokens, codes) are never cached.
 */

import type { mongo } from 'mongoose';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Hasher } from '../crypto/hashing.ts';
import { tokenHash } from '../crypto/hashing.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { isNeverToken } from '../oidc/validity.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { Partitions } from '../users/domains.ts';
import { domainOfSubject } from '../users/domains.ts';
import type { TokenCache, TokenDoc } from './tokenCache.ts';

type Db = mongo.Db;

/** Models whose id is a bearer credential. */
const TOKEN_MODELS = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode']);
/** Models that follow the user's partition. */
const PARTITIONED = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);
/** Models whose records may be served from the read cache (never consumed). */
const CACHED = new Set(['AccessToken', 'ClientCredentials']);
/** Models whose end is announced on the revocation stream as a single token. */
const PRESENTED_TO_GATEWAY = new Set(['AccessToken', 'ClientCredentials']);

export interface AdapterDeps {
  db: Db;
  hasher: Hasher;
  keyring: Keyring;
  /** A partition's own keyring (PARTITION_ENCRYPTION_KEYS), else the default one. */
  partitionKeyrings?: ReadonlyMap<string, Keyring>;
  encrypt: boolean;
  partitions: Partitions;
  outbox: Outbox;
  /** Read cache of access token records; absent = no caching. */
  tokenCache?: TokenCache;
  /** Client metadata for the `Client` model (our own client store). */
  findClient(id: string): Promise<AdapterPayload | undefined>;
  /** The client of the current request, for grant revocation events. */
  currentClientId(): string | undefined;
  /** When a revoked grant's tokens would have expired (null = never). */
  grantExpiresAt(): string | null;
}

/** Expiry check of a fetched record (see the header: lookups filter on `_id` only). */
function isLive(doc: TokenDoc, now = Date.now()): boolean {
  return doc.expiresAt instanceof Date && doc.expiresAt.getTime() > now;
}

function collectionName(model: string, partition?: string): string {
  const snake = model.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return partition ? `oidc_${snake}__${partition}` : `oidc_${snake}`;
}

/** Every token collection, all partitions: for bulk operations and tests. */
function tokenCollections(partitions: Partitions): string[] {
  const names: string[] = [];
  for (const model of TOKEN_MODELS) {
    names.push(collectionName(model));
    if (PARTITIONED.has(model)) for (const p of partitions.names) names.push(collectionName(model, p));
  }
  return names;
}

export async function ensureAdapterIndexes(db: Db, partitions: Partitions): Promise<void> {
  for (const name of tokenCollections(partitions)) {
    await db.collection(name).createIndex({ grantId: 1 });
    await db.collection(name).createIndex({ clientId: 1 });
  }
  await db.collection(collectionName('Session')).createIndex({ uidHash: 1 });
}

export function createAdapterFactory(deps: AdapterDeps): (name: string) => Adapter {
  const grantWrites = new Map<string, Promise<void>>();

  /** One outbox record per grant revocation, shared by every model's revokeByGrantId. */
  function recordGrantRevocation(grantId: string): Promise<void> {
    let p = grantWrites.get(grantId);
    if (!p) {
      p = (async () => {
        let clientId = deps.currentClientId();
        if (!clientId) {
          const grant = await deps.db
            .collection<TokenDoc>(collectionName('Grant'))
            .findOne({ _id: deps.hasher.storedId(grantId) }, { projection: { clientId: 1 } });
          clientId = grant?.clientId ?? 'unknown';
        }
        await deps.outbox.grantRevoked({ grantId, clientId, expiresAt: deps.grantExpiresAt() });
      })().finally(() => grantWrites.delete(grantId));
      grantWrites.set(grantId, p);
    }
    return p;
  }

  return (name: string): Adapter => {
    if (name === 'Client') {
      return {
        find: (id) => deps.findClient(id),
        upsert: async () => {
          throw new Error('clients are managed through the admin API');
        },
        destroy: async () => undefined,
        consume: async () => undefined,
        findByUid: async () => undefined,
        findByUserCode: async () => undefined,
        revokeByGrantId: async () => undefined,
      };
    }
    return new MongoAdapter(name, deps, recordGrantRevocation);
  };
}

class MongoAdapter implements Adapter {
  private readonly name: string;
  private readonly deps: AdapterDeps;
  private readonly recordGrantRevocation: (grantId: string) => Promise<void>;
  private readonly isToken: boolean;

  constructor(name: string, deps: AdapterDeps, recordGrantRevocation: (grantId: string) => Promise<void>) {
    this.name = name;
    this.deps = deps;
    this.recordGrantRevocation = recordGrantRevocation;
    this.isToken = TOKEN_MODELS.has(name);
  }

  /** The collection holding `id`; undefined when the id names no existing partition. */
  private collectionFor(id: string): mongo.Collection<TokenDoc> | undefined {
    let partition: string | undefined;
    if (PARTITIONED.has(this.name)) {
      const p = this.deps.partitions.ofToken(id);
      if (p === null) return undefined;
      partition = p;
    }
    return this.deps.db.collection<TokenDoc>(collectionName(this.name, partition));
  }

  private allCollections(): Array<mongo.Collection<TokenDoc>> {
    const names = [collectionName(this.name)];
    if (PARTITIONED.has(this.name)) {
      for (const p of this.deps.partitions.names) names.push(collectionName(this.name, p));
    }
    return names.map((n) => this.deps.db.collection<TokenDoc>(n));
  }

  private keyringOf(collection: string): Keyring {
    const partition = collection.split('__')[1];
    return (partition && this.deps.partitionKeyrings?.get(partition)) || this.deps.keyring;
  }

  private aad(collection: string, storedId: string): string {
    return `${collection}|${storedId}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const col = this.collectionFor(id);
    if (!col) throw new Error('token id names an unknown partition');
    const storedId = this.deps.hasher.storedId(id);
    const body: Record<string, unknown> = { ...payload };
    if (this.isToken) delete body['jti'];
    const extra = payload.extra as Record<string, unknown> | undefined;
    const iatMs = typeof extra?.['iat_ms'] === 'number' ? extra['iat_ms'] : Date.now();
    const doc: TokenDoc = {
      _id: storedId,
      expiresAt: new Date(Date.now() + expiresIn * 1000),
      iatMs,
    };
    if (isNeverToken(extra)) doc.neverExpires = true;
    if (typeof payload.grantId === 'string') doc.grantId = payload.grantId;
    if (typeof payload.clientId === 'string') doc.clientId = payload.clientId;
    if (typeof payload.accountId === 'string') doc.accountId = payload.accountId;
    if (typeof payload.uid === 'string') doc.uidHash = this.deps.hasher.storedId(payload.uid);
    const keyring = this.keyringOf(col.collectionName);
    if (this.deps.encrypt && keyring.enabled) {
      doc.sealed = keyring.seal(JSON.stringify(body), this.aad(col.collectionName, storedId));
    } else {
      doc.payload = body;
    }
    if (this.isToken) {
      try {
        await col.insertOne(doc);
        if (CACHED.has(this.name)) this.deps.tokenCache?.set(this.name, doc);
        return;
      } catch (err) {
        // The same token saved again (oidc-provider may re-save one): replace it below.
        if ((err as { code?: unknown }).code !== 11000) throw err;
      }
    }
    this.deps.tokenCache?.delete(storedId);
    await col.replaceOne({ _id: storedId }, doc, { upsert: true });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 2048) return undefined;
    const col = this.collectionFor(id);
    if (!col) return undefined;
    const storedId = this.deps.hasher.storedId(id);
    const cached = this.isToken ? this.deps.tokenCache?.get(storedId) : undefined;
    if (cached) {
      // The id is an access token of another model: it is not in this one's collection.
      if (cached.model !== this.name) return undefined;
      return isLive(cached.doc) ? this.toPayload(col, cached.doc, id) : undefined;
    }
    const doc = await col.findOne({ _id: storedId });
    return doc && isLive(doc) ? this.toPayload(col, doc, id) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const col = this.deps.db.collection<TokenDoc>(collectionName(this.name));
    const doc = await col.findOne({
      uidHash: this.deps.hasher.storedId(uid),
      expiresAt: { $gt: new Date() },
    });
    return doc ? this.toPayload(col, doc, undefined) : undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined; // device flow is not enabled
  }

  private async toPayload(
    col: mongo.Collection<TokenDoc>,
    doc: TokenDoc,
    id: string | undefined,
  ): Promise<AdapterPayload | undefined> {
    let payload: Record<string, unknown> | undefined;
    if (doc.sealed) {
      const opened = this.keyringOf(col.collectionName).open(
        doc.sealed,
        this.aad(col.collectionName, doc._id),
      );
      if (opened === undefined) return undefined;
      payload = JSON.parse(opened) as Record<string, unknown>;
    } else {
      // A copy: the record may be a cached one, and the payload is completed below.
      payload = doc.payload ? (structuredClone(doc.payload) as Record<string, unknown>) : undefined;
    }
    if (!payload) return undefined;
    if (this.isToken) {
      const extra = payload['extra'] as Record<string, unknown> | undefined;
      const iatMs = typeof extra?.['iat_ms'] === 'number' ? extra['iat_ms'] : doc.iatMs;
      const revoked = await this.deps.outbox.isRevoked({
        clientId: doc.clientId,
        subject: doc.accountId,
        domain: domainOfSubject(doc.accountId),
        grantId: doc.grantId,
        tokenHash: id ? tokenHash(id) : undefined,
        iatMs,
      });
      if (revoked) return undefined;
      if (id) payload['jti'] = id;
    }
    if (doc.consumed !== undefined) payload['consumed'] = doc.consumed;
    return payload as AdapterPayload;
  }

  async consume(id: string): Promise<void> {
    const col = this.collectionFor(id);
    if (!col) return;
    const res = await col.updateOne(
      { _id: this.deps.hasher.storedId(id), consumed: { $exists: false } },
      { $set: { consumed: Math.floor(Date.now() / 1000) } },
    );
    if (res.modifiedCount === 1 || !this.isToken) return;
    // Lost a race against another use of the same code/refresh token: that is reuse.
    const doc = await col.findOne({ _id: this.deps.hasher.storedId(id) }, { projection: { grantId: 1 } });
    if (doc?.grantId) await this.revokeGrantEverywhere(doc.grantId);
    throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
  }

  /** Used on a lost consume race: the same as oidc-provider's own reuse handling. */
  private async revokeGrantEverywhere(grantId: string): Promise<void> {
    await this.recordGrantRevocation(grantId);
    this.deps.tokenCache?.deleteGrant(grantId);
    for (const model of TOKEN_MODELS) {
      if (model === 'ClientCredentials') continue;
      const names = [collectionName(model)];
      if (PARTITIONED.has(model))
        for (const p of this.deps.partitions.names) names.push(collectionName(model, p));
      for (const n of names) await this.deps.db.collection<TokenDoc>(n).deleteMany({ grantId });
    }
    await this.deps.db
      .collection<TokenDoc>(collectionName('Grant'))
      .deleteOne({ _id: this.deps.hasher.storedId(grantId) });
  }

  async destroy(id: string): Promise<void> {
    const col = this.collectionFor(id);
    if (!col) return;
    const storedId = this.deps.hasher.storedId(id);
    this.deps.tokenCache?.delete(storedId);
    if (PRESENTED_TO_GATEWAY.has(this.name)) {
      const doc = await col.findOne({ _id: storedId });
      if (doc) {
        await this.deps.outbox.tokenRevoked({
          tokenHash: tokenHash(id),
          ...(doc.grantId ? { grantId: doc.grantId } : {}),
          clientId: doc.clientId ?? 'unknown',
          expiresAt: doc.neverExpires ? null : doc.expiresAt.toISOString(),
        });
      }
    }
    await col.deleteOne({ _id: storedId });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (this.name === 'AccessToken' || this.name === 'RefreshToken')
      await this.recordGrantRevocation(grantId);
    this.deps.tokenCache?.deleteGrant(grantId);
    for (const col of this.allCollections()) await col.deleteMany({ grantId });
  }
}
