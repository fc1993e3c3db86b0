/**
 * Failed client authentications at the token endpoint, counted per (client id, source address)
 * in MongoDB so every replica sees the same counters (docs/adr/0017). A stranger's wrong secrets
 * only ever block the stranger's own address for that client id; the real client elsewhere keeps
 * working. FerretDB has no TTL index: each counter carries its own expiry and a sweep deletes
 * old ones.
 */
import type { mongo } from 'mongoose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { answerTemporarilyUnavailable } from '../oidc/hooks.ts';

interface FailureDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

export interface AuthFailureLimits {
  /** Failures allowed per (client, address) within the window. */
  perClientIp: number;
  windowS: number;
}

export class AuthFailureCounter {
  private readonly col: mongo.Collection<FailureDoc>;
  private readonly limits: AuthFailureLimits;
  private lastSweep = 0;

  constructor(db: mongo.Db, limits: AuthFailureLimits) {
    this.col = db.collection<FailureDoc>('token_auth_failures');
    this.limits = limits;
  }

  /** Seconds the (client, address) must wait, or 0 when it may try. */
  async waitSeconds(clientId: string, address: string, now = Date.now()): Promise<number> {
    const doc = await this.col.findOne({ _id: key(clientId, address), expiresAt: { $gt: new Date(now) } });
    if (!doc || doc.count < this.limits.perClientIp) return 0;
    return Math.max(1, Math.ceil((doc.expiresAt.getTime() - now) / 1000));
  }

  async recordFailure(clientId: string, address: string, now = Date.now()): Promise<void> {
    const _id = key(clientId, address);
    const live = await this.col.updateOne({ _id, expiresAt: { $gt: new Date(now) } }, { $inc: { count: 1 } });
    if (live.matchedCount === 0) {
      // No live window: start one (a concurrent start may lose one count; the bound still holds).
      await this.col.updateOne(
        { _id },
        { $set: { count: 1, expiresAt: new Date(now + this.limits.windowS * 1000) } },
        { upsert: true },
      );
    }
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      await this.col.deleteMany({ expiresAt: { $lte: new Date(now) } }).catch(() => undefined);
    }
  }
}

function key(clientId: string, address: string): string {
  return `${clientId.slice(0, 256)}\n${address}`;
}

/** The client id a token request claims (Basic header or body). */
export function claimedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const auth = ctx.get('authorization');
  if (auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, i));
      } catch {
        return undefined;
      }
    }
  }
  const body = (ctx.req as { body?: Record<string, unknown> }).body;
  const id = body?.['client_id'];
  return typeof id === 'string' ? id : undefined;
}

/**
 * oidc-provider middleware on POST /token: refuses a (client, address) over its failure budget
 * with 429 and Retry-After, and counts every answer that is `invalid_client`.
 */
export function installTokenAuthFailureLimit(provider: Provider, counter: AuthFailureCounter): void {
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !ctx.path.endsWith('/token')) return next();
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    const clientId = claimedClientId(oidcCtx);
    const address = ctx.req.socket.remoteAddress ?? 'unknown';
    if (clientId) {
      // The counters are in MongoDB: if it cannot be asked, neither can the token store, so the
      // answer is the one a database outage gets (503, never a crash or a false 200).
      const wait = await counter.waitSeconds(clientId, address).catch(() => -1);
      if (wait < 0) {
        answerTemporarilyUnavailable(ctx, 5, 'the key-manager cannot reach its database, retry later');
        return;
      }
      if (wait > 0) {
        answerTemporarilyUnavailable(ctx, wait, 'too many failed client authentications, retry later', 429);
        return;
      }
    }
    await next();
    const body = ctx.body as { error?: unknown } | undefined;
    if (clientId && ctx.status === 401 && body?.error === 'invalid_client') {
      // Best effort: the answer is already decided; a lost count only loosens the bound.
      await counter.recordFailure(clientId, address).catch(() => undefined);
    }
  });
}
