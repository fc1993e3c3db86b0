/**
 * Browser sessions and pending sign-ins in MongoDB. Only SHA-256 hashes of the session id and
 * of the OAuth state are stored, so a database dump gives no usable cookie. FerretDB has no
 * TTL indexes: expiry is enforced in every query and old documents are swept periodically.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LoginStateDoc, SessionDoc, StoreModels } from '../domain/models.ts';
import type { Identity } from './port.ts';

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export class SessionStore {
  private readonly models: StoreModels;
  private readonly ttlMs: number;

  constructor(models: StoreModels, ttlSeconds: number) {
    this.models = models;
    this.ttlMs = ttlSeconds * 1000;
  }

  async create(identity: Identity): Promise<{ sessionId: string; session: SessionDoc }> {
    const sessionId = randomBytes(32).toString('base64url');
    const now = new Date();
    const session: SessionDoc = {
      _id: hash(sessionId),
      subject: identity.subject,
      roles: identity.roles,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlMs),
    };
    await this.models.sessions.collection.insertOne(session as never);
    return { sessionId, session };
  }

  async get(sessionId: string): Promise<SessionDoc | undefined> {
    const doc = await this.models.sessions.collection.findOne({
      _id: hash(sessionId),
      expiresAt: { $gt: new Date() },
    } as never);
    return (doc as SessionDoc | null) ?? undefined;
  }

  /**
   * Ends the sessions of a user (`subject`, e.g. PRIMARY/alice) or of every user of a user-store
   * domain, created before `before`; returns how many.
   */
  async endFor(who: { subject: string } | { domain: string }, before: Date): Promise<number> {
    const filter =
      'subject' in who
        ? { subject: who.subject }
        : // The subject is DOMAIN/name: a prefix match on the upper-cased domain.
          { subject: { $regex: `^${who.domain.toUpperCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/` } };
    const res = await this.models.sessions.collection.deleteMany({
      ...filter,
      createdAt: { $lt: before },
    } as never);
    return res.deletedCount ?? 0;
  }

  async delete(sessionId: string): Promise<void> {
    await this.models.sessions.collection.deleteOne({ _id: hash(sessionId) } as never);
  }

  async putLogin(
    state: string,
    value: Omit<LoginStateDoc, '_id' | 'expiresAt'>,
    ttlSeconds = 600,
  ): Promise<void> {
    await this.models.loginStates.collection.insertOne({
      _id: hash(state),
      ...value,
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    } as never);
  }

  /** Takes (and removes) a pending sign-in: each state works once. */
  async takeLogin(state: string): Promise<LoginStateDoc | undefined> {
    const doc = await this.models.loginStates.collection.findOneAndDelete({ _id: hash(state) } as never);
    const value = doc as LoginStateDoc | null;
    if (!value || value.expiresAt.getTime() <= Date.now()) return undefined;
    return value;
  }

  async sweep(): Promise<void> {
    const now = new Date();
    await this.models.sessions.collection.deleteMany({ expiresAt: { $lte: now } });
    await this.models.loginStates.collection.deleteMany({ expiresAt: { $lte: now } });
  }
}
