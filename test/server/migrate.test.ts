// Two processes migrating one fresh PostgreSQL database at once: the advisory lock makes it safe.
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.ts';
import { migrateDatabase, migrationState } from '../../src/db/migrate.ts';
import { databaseUrlFor } from '../support/db-names.ts';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate } from '../support/processes.ts';

describe.skipIf(!usingPostgres)('migrations on PostgreSQL (TEST_DATABASE_URL)', () => {
  it('two processes starting together both migrate safely, once', async () => {
    const base = process.env.TEST_DATABASE_URL!;
    const name = `jobgate_mig_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = databaseUrlFor(base, name);
    try {
      const a = startJobgate(['migrate', '--database-url', url]);
      const b = startJobgate(['migrate', '--database-url', url]);
      expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
      const database = await createDatabase({ url, maxConnections: 1 });
      expect(await migrationState(database)).toMatchObject({
        applied: (await migrationState(database)).shipped,
      });
      await migrateDatabase(database, url); // idempotent
      await database.close();
    } finally {
      await killLeftovers();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
