import { randomBytes } from 'node:crypto';

/** Ids carry a type prefix and 128 random bits, so they say what they are and cannot be guessed. */
export type IdPrefix = 'api' | 'app' | 'sub' | 'evt';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

export const idPattern = (prefix: IdPrefix): RegExp => new RegExp(`^${prefix}_[0-9a-f]{32}$`);
