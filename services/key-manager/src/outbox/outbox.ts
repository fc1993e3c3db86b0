/**
 * The revocation outbox. Every path that ends a token first inserts ONE document here (a
 * single-document atomic write, no transaction needed) and only then answers. That document is
 * the durable fact:
 *   - the relay (relay.ts) publishes it to the compacted revocations topic and marks it
 *     published (at-least-once; the event id is stable so duplicates are harmless);
 *   - the key-manager's own lookups consult it (`isRevoked`), so a bulk revocation takes effect
 *     here at once, whatever happens to the rest of the work.
 * Marker keys: `client:<id>`, `user:<DOMAIN/name>`, `domain:<DOMAIN>`, `all`, `grant:<id>`,
 * `token:<sha256>`; a record revokes every token of its key issued before `revokedBeforeMs`.
 */
import { randomUUID } from 'node:crypto';
import type { ClientEvent, EventOf, RevocationEvent } from '@portico/events';
import { makeEvent } from '@portico/events';
import type { mongo } from 'mongoose';

type Db = mongo.Db;
type Collection<T extends mongo.Document> = mongo.Collection<T>;

export const OUTBOX_SOURCE = 'key-manager';
const FOREVER = Number.MAX_SAFE_INTEGER;

export interface OutboxDoc {
  _id: string;
  /** The event to publish; absent for `all`, which the relay expands (see relay.ts). */
  event?: RevocationEvent;
  /** A client change for the clients topic (no marker semantics: revokedBeforeMs is 0). */
  clientEvent?: ClientEvent;
  kind: RevocationEvent['type'] | ClientEvent['type'] | 'all.tokens_revoked';
  markerKey: string;
  revokedBeforeMs: number;
  createdAt: Date;
  publishedAt: Date | null;
  /** For single tokens: when the token would have expired anyway (then the record can go). */
  expiresAt?: Date | null;
}

export interface TokenFacts {
  clientId?: string | undefined;
  subject?: string | undefined;
  domain?: string | undefined;
  grantId?: string | undefined;
  tokenHash?: string | undefined;
  /** Issue time in ms. */
  iatMs: number;
}

export interface Outbox {
  tokenRevoked(data: EventOf<'token.revoked'>['data']): Promise<void>;
  grantRevoked(data: EventOf<'grant.revoked'>['data']): Promise<void>;
  clientTokensRevoked(clientId: string, before?: Date): Promise<Date>;
  userTokensRevoked(subject: string, domain: string, before?: Date): Promise<Date>;
  domainTokensRevoked(domain: string, before?: Date): Promise<Date>;
  allTokensRevoked(before: Date): Promise<Date>;
  /** A client was created, changed or deleted (for the gateways' read model). */
  clientChanged(event: ClientEvent): Promise<void>;
  /** True when a recorded revocation covers a token with these facts. */
  isRevoked(facts: TokenFacts): Promise<boolean>;
  pending(limit: number): Promise<OutboxDoc[]>;
  markPublished(ids: string[]): Promise<void>;
  stats(): Promise<{ pending: number; oldestPendingAgeSeconds: number }>;
  /**
   * Deletes published single-token records whose token has expired anyway: neither the gateway's
   * compacted topic nor our own lookups need them any more. Bulk markers are kept.
   */
  prune(now?: Date): Promise<number>;
  /** Called after each write, so the relay publishes without waiting for its next poll. */
  onWrite(listener: () => void): void;
}

const OUTBOX_COLLECTION = 'revocation_outbox';

export async function createOutbox(db: Db): Promise<Outbox> {
  const col: Collection<OutboxDoc> = db.collection<OutboxDoc>(OUTBOX_COLLECTION);
  await col.createIndex({ markerKey: 1, revokedBeforeMs: -1 });
  await col.createIndex({ publishedAt: 1, createdAt: 1 });
  await col.createIndex({ kind: 1, expiresAt: 1 });
  const listeners: Array<() => void> = [];

  async function insert(doc: OutboxDoc): Promise<void> {
    try {
      await col.insertOne(doc);
    } catch (err) {
      // A stable id inserted twice (the same grant revoked twice) is already durable.
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
    for (const l of listeners) l();
  }

  function record(
    event: RevocationEvent,
    markerKey: string,
    revokedBeforeMs: number,
    id?: string,
  ): OutboxDoc {
    return {
      _id: id ?? event.id,
      event,
      kind: event.type,
      markerKey,
      revokedBeforeMs,
      createdAt: new Date(),
      publishedAt: null,
    };
  }

  const at = (before?: Date) => before ?? new Date();

  return {
    async tokenRevoked(data) {
      const event = makeEvent('token.revoked', data, OUTBOX_SOURCE);
      const doc = record(event, `token:${data.tokenHash}`, FOREVER);
      doc.expiresAt = data.expiresAt === null ? null : new Date(data.expiresAt);
      await insert(doc);
    },
    async grantRevoked(data) {
      // Stable id: every model's revokeByGrantId reports the same grant; one record is enough.
      const id = `grant-${data.grantId}`;
      const event = makeEvent('grant.revoked', data, OUTBOX_SOURCE, { id });
      await insert(record(event, `grant:${data.grantId}`, FOREVER, id));
    },
    async clientTokensRevoked(clientId, before) {
      const t = at(before);
      const event = makeEvent(
        'client.tokens_revoked',
        { clientId, revokedBefore: t.toISOString() },
        OUTBOX_SOURCE,
      );
      await insert(record(event, `client:${clientId}`, t.getTime()));
      return t;
    },
    async userTokensRevoked(subject, domain, before) {
      const t = at(before);
      const event = makeEvent(
        'user.tokens_revoked',
        { subject, domain, revokedBefore: t.toISOString() },
        OUTBOX_SOURCE,
      );
      await insert(record(event, `user:${subject}`, t.getTime()));
      return t;
    },
    async domainTokensRevoked(domain, before) {
      const t = at(before);
      const event = makeEvent(
        'domain.tokens_revoked',
        { domain, revokedBefore: t.toISOString() },
        OUTBOX_SOURCE,
      );
      await insert(record(event, `domain:${domain}`, t.getTime()));
      return t;
    },
    async allTokensRevoked(before) {
      await insert({
        _id: randomUUID(),
        kind: 'all.tokens_revoked',
        markerKey: 'all',
        revokedBeforeMs: before.getTime(),
        createdAt: new Date(),
        publishedAt: null,
      });
      return before;
    },
    async clientChanged(event) {
      await insert({
        _id: event.id,
        clientEvent: event,
        kind: event.type,
        markerKey: `client-event:${event.data.clientId}`,
        revokedBeforeMs: 0,
        createdAt: new Date(),
        publishedAt: null,
      });
    },
    async isRevoked(facts) {
      const keys = ['all'];
      if (facts.clientId) keys.push(`client:${facts.clientId}`);
      if (facts.subject) keys.push(`user:${facts.subject}`);
      if (facts.domain) keys.push(`domain:${facts.domain}`);
      if (facts.grantId) keys.push(`grant:${facts.grantId}`);
      if (facts.tokenHash) keys.push(`token:${facts.tokenHash}`);
      const hit = await col.findOne(
        { markerKey: { $in: keys }, revokedBeforeMs: { $gt: facts.iatMs } },
        { projection: { _id: 1 } },
      );
      return hit !== null;
    },
    pending(limit) {
      return col.find({ publishedAt: null }).sort({ createdAt: 1 }).limit(limit).toArray();
    },
    async markPublished(ids) {
      if (ids.length === 0) return;
      await col.updateMany({ _id: { $in: ids } }, { $set: { publishedAt: new Date() } });
    },
    async stats() {
      const pending = await col.countDocuments({ publishedAt: null });
      const oldest = await col.find({ publishedAt: null }).sort({ createdAt: 1 }).limit(1).next();
      return {
        pending,
        oldestPendingAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0,
      };
    },
    async prune(now = new Date()) {
      const res = await col.deleteMany({
        kind: 'token.revoked',
        publishedAt: { $ne: null },
        expiresAt: { $ne: null, $lt: now },
      });
      return res.deletedCount;
    },
    onWrite(listener) {
      listeners.push(listener);
    },
  };
}
