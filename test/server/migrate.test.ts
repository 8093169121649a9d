// Two processes migrating one fresh PostgreSQL database at once: the advisory lock makes it safe.
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.ts';
import { migrateDatabase, migrationState } from '../../src/db/migrate.ts';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate } from '../support/processes.ts';
import { createScratchDatabase } from '../support/scratch-db.ts';

describe.skipIf(!usingPostgres)('migrations on PostgreSQL (TEST_DATABASE_URL)', () => {
  it('two processes starting together both migrate safely, once', async () => {
    // An empty database named by the cleanup pattern: the run's teardown drops it if a timeout
    // stops this test before its finally does.
    const scratch = await createScratchDatabase();
    const url = scratch.url;
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
      await scratch.drop();
    }
  });
});
