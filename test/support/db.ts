// A fresh, migrated jobgate database for a test file: PGlite in memory by default, or a new database
// cloned from the run's migrated template on the PostgreSQL of TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { databaseUrlFor } from './db-names.ts';

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export interface TestDatabase {
  database: Database;
  /** Set on PostgreSQL: the URL of this test's own database (child processes connect to it). */
  url?: string;
  close(): Promise<void>;
}

/** Creates an empty migrated PostgreSQL database and returns its URL (needs TEST_DATABASE_URL). */
export async function createPostgresDatabase(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('createPostgresDatabase needs TEST_DATABASE_URL');
  const name = `jobgate_t_${inject('pgRunId')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${inject('pgTemplate')}"`);
  } finally {
    await admin.end();
  }
  return databaseUrlFor(base, name);
}

export async function createTestDatabase(
  options: { onStatement?: (q: string) => void } = {},
): Promise<TestDatabase> {
  if (!usingPostgres) {
    const database = await createDatabase({ onStatement: options.onStatement });
    await migrateDatabase(database);
    return { database, close: () => database.close() };
  }
  const url = await createPostgresDatabase();
  const database = await createDatabase({ url, maxConnections: 5, onStatement: options.onStatement });
  return { database, url, close: () => database.close() };
}
