/**
 * MongoDB connection helper. Works on MongoDB >= 6 and on FerretDB 1.x (used locally), so it
 * relies on no multi-document transactions and no TTL indexes (see docs/adr/0002).
 */

import type { Connection } from 'mongoose';
import mongoose from 'mongoose';
import { maskUrlCredentials } from './config.ts';
import type { HealthCheck } from './health.ts';
import type { Logger } from './logger.ts';

export interface MongoOptions {
  url: string;
  dbName: string;
  logger: Logger;
  /** How long to keep retrying the first connection before giving up. */
  connectTimeoutMs?: number;
  serverSelectionTimeoutMS?: number;
}

export async function connectMongo(options: MongoOptions): Promise<Connection> {
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const conn = mongoose.createConnection(options.url, {
      dbName: options.dbName,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3000,
      heartbeatFrequencyMS: 2000,
      autoIndex: true,
      autoCreate: true,
    });
    try {
      await conn.asPromise();
      options.logger.info({ db: options.dbName, url: maskUrlCredentials(options.url) }, 'mongo connected');
      return conn;
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new Error(
          `cannot connect to MongoDB at ${maskUrlCredentials(options.url)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      options.logger.warn({ attempt, err: (err as Error).message }, 'mongo not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * attempt)));
    }
  }
}

export function mongoHealth(conn: Connection): HealthCheck {
  return {
    name: 'mongo',
    async check() {
      const db = conn.db;
      if (!db || conn.readyState !== 1) throw new Error('not connected');
      await db.command({ ping: 1 }, { timeoutMS: 1500 });
    },
  };
}

/** True for a unique-index violation, which callers turn into 409. */
export function isDuplicateKey(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { code?: unknown }).code === 11000) return true;
  // FerretDB (SQLite) answers an update that breaks a unique index with code 1 and SQLite's words.
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && message.includes('UNIQUE constraint failed');
}

/** True for errors meaning the database cannot be reached (callers answer 503). */
export function isMongoUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: unknown }).name;
  return (
    name === 'MongoServerSelectionError' ||
    name === 'MongoNetworkError' ||
    name === 'MongoNetworkTimeoutError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoTopologyClosedError' ||
    name === 'MongooseServerSelectionError'
  );
}
