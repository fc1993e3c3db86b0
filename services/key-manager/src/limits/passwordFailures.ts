/**
 * One per-account failure policy for every way a password is checked (the login form and the
 * password grant), docs/adr/0084. Failures are counted per account — the canonical
 * `DOMAIN/name` — in MongoDB, so every replica and every client id share one count:
 * - the first `freeFailures` failures cost nothing; after that each further check of the account
 *   waits `baseDelayMs`, doubling with every failure, capped at `maxDelayMs`;
 * - during the delay the account answers as wrong credentials WITHOUT the password being checked;
 * - a successful check resets the count, and a count is forgotten `memoryS` after its delay
 *   ends: a stranger can slow an account down by at most `maxDelayMs`, never lock it.
 * A check is counted BEFORE the password is verified (a compare-and-set on the count), and undone
 * by the success: parallel guesses cannot slip through together while the count is still low.
 * FerretDB has neither TTL indexes nor multi-document transactions: each record carries its own
 * expiry, a sweep deletes old ones, and the one conditional write per check is on one document.
 */
import type { mongo } from 'mongoose';

interface FailureDoc {
  _id: string;
  failures: number;
  /** The account's next password check may run from then on. */
  notBefore: Date;
  /** The count is forgotten from then on. */
  expiresAt: Date;
}

export interface PasswordFailurePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  memoryS: number;
}

/** The wait (ms) before an account's next password check after `failures` failures. */
export function backoffDelayMs(failures: number, policy: PasswordFailurePolicy): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 40); // 2^40 × base is past any cap
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** Attempts to claim one account's check before giving up (others claiming at the same instant). */
const CLAIM_TRIES = 5;

export class PasswordFailures {
  private readonly col: mongo.Collection<FailureDoc>;
  private readonly policy: PasswordFailurePolicy;
  private lastSweep = 0;

  constructor(db: mongo.Db, policy: PasswordFailurePolicy) {
    this.col = db.collection<FailureDoc>('password_failures');
    this.policy = policy;
  }

  /**
   * Claims one password check of `account`: 0 when it may run (it counts as a failure until
   * `passwordAccepted`), else the seconds the account must still wait (do not check the password).
   * A database error is thrown (the caller's outage answer, 503).
   */
  async claim(account: string, now = Date.now()): Promise<number> {
    const _id = account.slice(0, 512);
    for (let i = 0; i < CLAIM_TRIES; i += 1) {
      const doc = await this.col.findOne({ _id });
      const live = doc !== null && doc.expiresAt.getTime() > now;
      if (live && doc.notBefore.getTime() > now) return Math.ceil((doc.notBefore.getTime() - now) / 1000);
      const failures = live ? doc.failures + 1 : 1;
      const delay = backoffDelayMs(failures, this.policy);
      const next = {
        failures,
        notBefore: new Date(now + delay),
        expiresAt: new Date(now + delay + this.policy.memoryS * 1000),
      };
      if (doc === null) {
        try {
          await this.col.insertOne({ _id, ...next });
          this.sweep(now);
          return 0;
        } catch (err) {
          if ((err as { code?: unknown }).code !== 11000) throw err;
          continue; // another check of this account started it first: look again
        }
      }
      // Compare-and-set on the count: of concurrent checks of one account, one claims each count.
      const res = await this.col.updateOne({ _id, failures: doc.failures }, { $set: next });
      if (res.matchedCount === 1) {
        this.sweep(now);
        return 0;
      }
    }
    return 1; // contended by many checks at once: answer as during a delay
  }

  /** The password was right: the account starts again from no failures. */
  async passwordAccepted(account: string): Promise<void> {
    await this.col.deleteOne({ _id: account.slice(0, 512) });
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    // Best effort, off the request's path: an old record is ignored anyway (expiresAt).
    this.col.deleteMany({ expiresAt: { $lte: new Date(now) } }).catch(() => undefined);
  }
}
