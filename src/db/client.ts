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
  /** A hand-written statement with `$1, $2, …` parameters whose text never changes (the read hot
   * paths): prepared once per connection on PostgreSQL, so neither side rebuilds or re-parses it.
   * A JS array is one array parameter (`= any($1::uuid[])`). Counted in `stats` and reported to
   * `onStatement` like Drizzle's. Rows are plain objects keyed by column alias; the drivers differ
   * for timestamps and bigints, so cast those in SQL. */
  query<T = Record<string, unknown>>(text: string, params: readonly unknown[]): Promise<T[]>;
  listen: Listen;
  notify(channel: string, payload: string): Promise<void>;
  /** Tries to become the holder of an advisory lock (coordinator leadership). On PostgreSQL the
   * lock lives on a dedicated connection: if that connection dies, `lost` resolves. PGlite is one
   * process, so it always succeeds. Resolves to null when another session holds the lock. */
  tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  /** Statements issued through Drizzle or `query` since creation (tests use it to catch N+1
   * queries). */
  readonly stats: { statements: number };
  close(): Promise<void>;
}

export interface AdvisoryLock {
  /** Resolves when the lock is lost (its connection closed). */
  lost: Promise<void>;
  release(): Promise<void>;
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
      query: <T>(text: string, params: readonly unknown[]) => {
        logger.logQuery(text);
        return client.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
          prepare: true,
        }) as unknown as Promise<T[]>;
      },
      listen: async (channel, onPayload) => {
        const sub = await client.listen(channel, onPayload);
        return () => sub.unlisten();
      },
      notify: async (channel, payload) => {
        await client.notify(channel, payload);
      },
      tryAdvisoryLock: async (key) => {
        // A one-connection pool of its own: the lock belongs to that session for as long as it lives.
        const session = postgres(options.url!, { max: 1, onnotice: () => {}, idle_timeout: 0 });
        try {
          const [row] = await session<{ ok: boolean }[]>`select pg_try_advisory_lock(${key}) as ok`;
          if (!row?.ok) {
            await session.end({ timeout: 1 });
            return null;
          }
        } catch (err) {
          await session.end({ timeout: 1 });
          throw err;
        }
        let released = false;
        const lost = new Promise<void>((resolve) => {
          // Probe the session: an error means the connection (and so the lock) is gone.
          const probe = setInterval(() => {
            session`select 1`.catch(() => {
              clearInterval(probe);
              resolve();
            });
          }, 1_000);
          probe.unref();
          void released;
        });
        return {
          lost,
          release: async () => {
            released = true;
            await session`select pg_advisory_unlock(${key})`.catch(() => {});
            await session.end({ timeout: 1 });
          },
        };
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
    query: async <T>(text: string, params: readonly unknown[]) => {
      logger.logQuery(text);
      return (await client.query<T>(text, params as unknown[])).rows;
    },
    listen: async (channel, onPayload) => client.listen(channel, onPayload),
    notify: async (channel, payload) => {
      await db.execute(sql`select pg_notify(${channel}, ${payload})`);
    },
    tryAdvisoryLock: async () => ({ lost: new Promise<void>(() => {}), release: async () => {} }),
    close: () => client.close(),
  };
}
