import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { compilePgliteWasm } from './pglite-wasm.ts';
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
   * lock lives on a dedicated connection that never reconnects: the moment it closes (or a probe
   * of it hangs), `lost` resolves. On PGlite (one process) the lock is held within this Database
   * object. Resolves to null when someone else holds the lock. */
  tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  /** Statements issued through Drizzle or `query` since creation (tests use it to catch N+1
   * queries). */
  readonly stats: { statements: number };
  /** PostgreSQL only: the server's URL, for a session opened elsewhere (the node's heartbeat thread).
   * A function so the URL — it may hold a password — never shows up when the object is logged or
   * serialized; never log what it returns. */
  connectionUrl?: () => string;
  close(): Promise<void>;
}

export interface AdvisoryLock {
  /** Resolves when the lock is lost (its connection closed or stopped answering) or released. */
  lost: Promise<void>;
  release(): Promise<void>;
}

/** Raw SQL on a transaction (or the db): rows as plain objects on both drivers, like
 * `Database.execute` (postgres.js answers an array, PGlite `{ rows }`). */
export async function executeIn<T = Record<string, unknown>>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** How often the coordinator's lock session is probed, and how long a probe may take before the
 * session counts as lost (a connection that hangs without closing). */
const LOCK_PROBE_INTERVAL_MS = 1_000;
const LOCK_PROBE_DEADLINE_MS = 5_000;

/**
 * Settings PGlite's PostgreSQL starts with, beside PGlite's own. shared_buffers: initdb writes 128MB
 * into postgresql.conf, and PGlite zeroes all of it at every open (shared memory is an mmap, which in
 * WebAssembly is malloc and memset): ~0.1 s of each open on an idle 2-core machine and ~110 MB of
 * resident memory (both measured). One process is the only client of its PGlite database, and a
 * page that falls out of 32 MB (4,096 pages) is read back from the data directory's files (the OS
 * page cache) or, in memory, from PGlite's in-memory file system.
 */
const PGLITE_SETTINGS = ['shared_buffers=32MB'];

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
    const url = options.url;
    return {
      kind: 'postgres',
      db,
      stats,
      connectionUrl: () => url,
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
        // The lock lives on a session of its own that must never be replaced behind our back:
        // postgres.js reconnects silently when a query is issued after its connection dropped (and
        // recycles connections after max_lifetime), and a new session does not hold the lock. So the
        // session never expires, `onclose` reports its end at once, and after that nothing is sent
        // on it again. A probe with a deadline also catches a connection that hangs without closing.
        let signalLost: () => void = () => {};
        const lost = new Promise<void>((resolve) => (signalLost = resolve));
        let held = false;
        const session = postgres(options.url!, {
          max: 1,
          idle_timeout: 0,
          max_lifetime: null,
          onnotice: () => {},
          connection: { application_name: 'jobgate-coordinator-lock' },
          onclose: () => {
            if (held) signalLost();
          },
        });
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
        held = true;
        let probing = false;
        const probe = setInterval(() => {
          if (probing) return;
          probing = true;
          const deadline = setTimeout(signalLost, LOCK_PROBE_DEADLINE_MS);
          session`select 1`.then(() => clearTimeout(deadline), signalLost).finally(() => (probing = false));
        }, LOCK_PROBE_INTERVAL_MS);
        probe.unref();
        void lost.then(() => {
          held = false;
          clearInterval(probe);
          void session.end({ timeout: 0 }).catch(() => {});
        });
        return {
          lost,
          release: async () => {
            if (held) await session`select pg_advisory_unlock(${key})`.catch(() => {});
            held = false;
            clearInterval(probe);
            signalLost();
            await session.end({ timeout: 1 }).catch(() => {});
          },
        };
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  // Loaded only for PGlite, so a start-up on PostgreSQL does not read PGlite's module for nothing.
  // The WebAssembly module is usually compiling already (the entry started it, pglite-wasm.ts).
  const [{ PGlite }, { drizzle: drizzlePglite }, pgliteWasmModule] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    compilePgliteWasm(),
  ]);
  const client = new PGlite({
    dataDir: options.dataDir,
    pgliteWasmModule,
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])],
  });
  await client.waitReady;
  const db = drizzlePglite({ client, schema, logger }) as unknown as Db;
  const heldLocks = new Set<number>();
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
    // One process owns a PGlite database, so the lock is a set of keys held in this process: of two
    // coordinators on one PGlite database (tests) one leads, as on PostgreSQL.
    tryAdvisoryLock: async (key) => {
      if (heldLocks.has(key)) return null;
      heldLocks.add(key);
      let signalLost: () => void = () => {};
      const lost = new Promise<void>((resolve) => (signalLost = resolve));
      return {
        lost,
        release: async () => {
          heldLocks.delete(key);
          signalLost();
        },
      };
    },
    close: () => client.close(),
  };
}
