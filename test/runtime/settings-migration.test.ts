// The migration that moved the "job submissions paused" flag out of the audit trail carries an
// existing pause over: the newest pause/unpause audit row becomes the settings row.
import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditEvents, settings } from '../../src/db/schema/index.ts';
import { submissionsPaused } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const migrations = new URL('../../migrations/', import.meta.url);
const carryOver = readFileSync(
  new URL(
    readdirSync(migrations).find((f) => f.endsWith('_settings-from-audit.sql'))!,
    migrations,
  ),
  'utf8',
);

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb?.close());

async function carryOverFrom(actions: string[]) {
  const { db } = testDb.database;
  await db.delete(settings);
  await db.delete(auditEvents);
  for (const action of actions) await db.insert(auditEvents).values({ actor: 'ops', action });
  await testDb.database.execute(sql.raw(carryOver));
  return submissionsPaused(testDb.database);
}

it('keeps a pause that was in force, and an unpause after it', async () => {
  expect(await carryOverFrom(['submissions:pause'])).toBe(true);
  expect(await carryOverFrom(['submissions:pause', 'job:create', 'submissions:unpause'])).toBe(false);
  expect(await carryOverFrom(['submissions:unpause', 'submissions:pause', 'job:create'])).toBe(true);
  expect(await carryOverFrom([])).toBe(false);
  const [row] = await testDb.database.db.select().from(settings);
  expect(row).toBeUndefined();
});
