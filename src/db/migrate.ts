import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { readdirSync } from 'node:fs';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_FOLDER, type Database } from './client.ts';

/** Advisory lock key taken while migrating, so processes that start together migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_212_044_001;

/**
 * Applies the drizzle-kit migrations. On PostgreSQL the work runs on one reserved connection that
 * holds an advisory lock, so two processes starting together are safe; PGlite is single-process.
 */
export async function migrateDatabase(database: Database, url?: string): Promise<void> {
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
