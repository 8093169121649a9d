// migrateDatabase checks first whether the database is at head (one statement) and runs drizzle's
// migrator only when it is not: a database one migration behind is still brought up to date.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateDatabase, migrationState } from '../../src/db/migrate.ts';
import { auditEvents, settings } from '../../src/db/schema/index.ts';
import { submissionsPaused } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const statements: string[] = [];
let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase({ onStatement: (q) => statements.push(q) });
});
afterAll(() => testDb?.close());

it('at head, migrating is one statement and changes nothing', async () => {
  const before = await migrationState(testDb.database);
  expect(before.applied).toBe(before.shipped);
  statements.length = 0;
  await migrateDatabase(testDb.database, testDb.url);
  // Without the check, drizzle's migrator would create its schema and table if missing and open a
  // transaction here (on PGlite through this same database; on PostgreSQL on a connection of its own).
  expect(statements).toHaveLength(1);
  expect(statements[0]).toMatch(/from drizzle\.__drizzle_migrations/);
  expect(await migrationState(testDb.database)).toEqual(before);
});

it('a database one migration behind gets that migration applied', async () => {
  const { database } = testDb;
  // Take the newest migration (it carries a submissions pause from the audit trail into settings)
  // back out: its effect and its record.
  await database.db.delete(settings);
  await database.db.insert(auditEvents).values({ actor: 'ops', action: 'submissions:pause' });
  await database.execute(sql`
    delete from drizzle.__drizzle_migrations
    where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`);
  const behind = await migrationState(database);
  expect(behind.applied).toBe(behind.shipped - 1);
  expect(await submissionsPaused(database)).toBe(false);

  await migrateDatabase(database, testDb.url);
  expect(await migrationState(database)).toEqual({ shipped: behind.shipped, applied: behind.shipped });
  expect(await submissionsPaused(database)).toBe(true);
});
