import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle: the same query API as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Listens for NOTIFY on a channel; resolves to an unlisten function. */
export type Listen = (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Raw SQL (hand-written hot paths). Rows come back as plain objects on both drivers; cast
   * timestamps and bigints in SQL when the caller needs a particular JS type. */
  execute<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  listen: Listen;
  notify(channel: string, payload: string): Promise<void>;
  /** Statements issued through Drizzle since creation (tests use it to catch N+1 queries). */
  readonly stats: { statements: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL of a real server; without it PGlite is used. */
  url?: string;
  /** PGlite data directory; without it (and without url) the database lives in memory. */
  dataDir?: string;
  /** Connections in the postgres.js pool. */
  maxConnections?: number;
  /** Called for every statement issued through Drizzle (tests and debugging). */
  onStatement?: (query: string) => void;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const stats = { statements: 0 };
  const logger = {
    logQuery(query: string) {
      stats.statements++;
      options.onStatement?.(query);
    },
  };
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connection: { application_name: 'jobgate' },
    });
    const db = drizzlePostgres({ client, schema, logger }) as unknown as Db;
    return {
      kind: 'postgres',
      db,
      stats,
      execute: async <T>(query: SQL) => (await db.execute(query)) as unknown as T[],
      listen: async (channel, onPayload) => {
        const sub = await client.listen(channel, onPayload);
        return () => sub.unlisten();
      },
      notify: async (channel, payload) => {
        await client.notify(channel, payload);
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const client = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite({ client, schema, logger }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    stats,
    execute: async <T>(query: SQL) => ((await db.execute(query)) as unknown as { rows: T[] }).rows,
    listen: async (channel, onPayload) => client.listen(channel, onPayload),
    notify: async (channel, payload) => {
      await db.execute(sql`select pg_notify(${channel}, ${payload})`);
    },
    close: () => client.close(),
  };
}
