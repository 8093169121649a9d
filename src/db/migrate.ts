import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_FOLDER, type Database } from './client.ts';

/** Advisory lock key taken while migrating, so processes that start together migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_212_044_001;

/** The newest migration this build ships: drizzle-kit's journal stamps each with `when`, which the
 * migrator records as `created_at` once it is applied. */
function shippedHead(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  };
  return Math.max(...journal.entries.map((e) => e.when));
}

/**
 * True when the database has applied the newest shipped migration: by drizzle's own rule (it applies
 * each migration newer than the last one recorded) the migrator would then apply nothing. One
 * statement instead of the migrator's reading and hashing every file, creating its schema and table
 * if missing, and an empty transaction (on PostgreSQL also a connection of its own and the lock).
 */
async function isAtHead(database: Database): Promise<boolean> {
  try {
    const [row] = await database.execute<{ last: string | null }>(
      sql`select max(created_at)::text as last from drizzle.__drizzle_migrations`,
    );
    return row?.last != null && Number(row.last) >= shippedHead();
  } catch {
    return false; // no migrations table yet: a new database (a real fault fails in the migrator)
  }
}

/**
 * Applies the drizzle-kit migrations, unless the database is at head already. On PostgreSQL the work
 * runs on one reserved connection that holds an advisory lock, so two processes starting together
 * are safe; PGlite is single-process.
 */
export async function migrateDatabase(database: Database, url?: string): Promise<void> {
  if (await isAtHead(database)) return;
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  if (!url) throw new Error('migrateDatabase: a PostgreSQL database needs its url');
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzlePostgres({ client });
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** How many migrations ship with this build, and how many the database has applied. */
export async function migrationState(database: Database): Promise<{ shipped: number; applied: number }> {
  const shipped = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length;
  try {
    const rows = await database.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    return { shipped, applied: rows[0]?.n ?? 0 };
  } catch {
    return { shipped, applied: 0 };
  }
}
