/**
 * User stores: PRIMARY plus the configured secondary domains, all in the `users` collection
 * with the canonical `DOMAIN/name` as `_id` (unique within the domain by construction).
 * Passwords are hashed with argon2id (memory-hard). Verification of an unknown user still
 * runs one argon2 verification, so timing does not reveal which names exist.
 */
import { hash, verify } from '@node-rs/argon2';
import type { mongo } from 'mongoose';
import { z } from 'zod';
import type { UserName } from './domains.ts';

export const ROLES = ['admin', 'developer', 'subscriber'] as const;

export interface UserDoc {
  _id: string;
  domain: string;
  name: string;
  passwordHash: string;
  enabled: boolean;
  locked: boolean;
  roles: string[];
  email?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserView {
  username: string;
  domain: string;
  name: string;
  enabled: boolean;
  locked: boolean;
  roles: string[];
  email?: string;
}

export const password = z.string().min(8).max(256);
export const newUserInput = z
  .object({
    username: z.string().min(1).max(400),
    password,
    enabled: z.boolean().default(true),
    roles: z.array(z.enum(ROLES)).max(10).default(['subscriber']),
    email: z.email().max(320).optional(),
  })
  .strict();
export const userPatch = z
  .object({
    password,
    enabled: z.boolean(),
    locked: z.boolean(),
    roles: z.array(z.enum(ROLES)).max(10),
    email: z.email().max(320),
  })
  .partial()
  .strict();

const ARGON = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function viewOfUser(doc: UserDoc): UserView {
  return {
    username: doc._id,
    domain: doc.domain,
    name: doc.name,
    enabled: doc.enabled,
    locked: doc.locked,
    roles: doc.roles,
    ...(doc.email ? { email: doc.email } : {}),
  };
}

export interface UserStore {
  create(
    user: UserName,
    input: { password: string; enabled: boolean; roles: string[]; email?: string | undefined },
  ): Promise<UserDoc>;
  get(canonical: string): Promise<UserDoc | null>;
  list(domain: string, limit: number): Promise<UserDoc[]>;
  update(canonical: string, patch: z.infer<typeof userPatch>): Promise<UserDoc | null>;
  remove(canonical: string): Promise<boolean>;
  /** The user when the password matches and the account may sign in. */
  authenticate(user: UserName, password: string): Promise<UserDoc | undefined>;
}

export async function createUserStore(db: mongo.Db): Promise<UserStore> {
  const col = db.collection<UserDoc>('users');
  await col.createIndex({ domain: 1, name: 1 }, { unique: true });
  const dummyHash = await hash('dummy-password-for-timing', ARGON);
  return {
    async create(user, input) {
      const now = new Date();
      const doc: UserDoc = {
        _id: user.canonical,
        domain: user.domain,
        name: user.name,
        passwordHash: await hash(input.password, ARGON),
        enabled: input.enabled,
        locked: false,
        roles: [...new Set(input.roles)],
        ...(input.email ? { email: input.email } : {}),
        createdAt: now,
        updatedAt: now,
      };
      await col.insertOne(doc);
      return doc;
    },
    get: (canonical) => col.findOne({ _id: canonical }),
    list: (domain, limit) => col.find({ domain }).sort({ _id: 1 }).limit(limit).toArray(),
    async update(canonical, patch) {
      const set: Record<string, unknown> = { updatedAt: new Date() };
      if (patch.password !== undefined) set['passwordHash'] = await hash(patch.password, ARGON);
      if (patch.enabled !== undefined) set['enabled'] = patch.enabled;
      if (patch.locked !== undefined) set['locked'] = patch.locked;
      if (patch.roles !== undefined) set['roles'] = [...new Set(patch.roles)];
      if (patch.email !== undefined) set['email'] = patch.email;
      return col.findOneAndUpdate({ _id: canonical }, { $set: set }, { returnDocument: 'after' });
    },
    async remove(canonical) {
      const res = await col.deleteOne({ _id: canonical });
      return res.deletedCount === 1;
    },
    async authenticate(user, pwd) {
      const doc = await col.findOne({ _id: user.canonical });
      if (!doc) {
        await verify(dummyHash, pwd).catch(() => false);
        return undefined;
      }
      const ok = await verify(doc.passwordHash, pwd).catch(() => false);
      if (!ok || !doc.enabled || doc.locked) return undefined;
      return doc;
    },
  };
}
