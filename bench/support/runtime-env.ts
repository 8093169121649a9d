// What the runtime and checkpoint benchmarks share: a migrated throwaway database and the
// production defaults they measure against.
import { pino } from 'pino';
import { CONFIG_DEFAULTS } from '../../src/config.ts';
import { createDatabase, type Database, type DatabaseOptions } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createBenchDatabase, type BenchDatabase } from './pg.ts';

export const silent = pino({ level: 'silent' });

/** `jobgate serve` / `jobgate node` defaults (src/config.ts) and the runtime's built-in periods. */
export const RUNTIME_DEFAULTS = {
  heartbeatIntervalMs: CONFIG_DEFAULTS.heartbeatIntervalMs,
  heartbeatTimeoutMs: CONFIG_DEFAULTS.heartbeatTimeoutMs,
  /** Executor poll when pollMs is omitted (node/executor.ts). */
  executorPollMs: 200,
  /** Coordinator tick when pollMs is omitted (coordinator/coordinator.ts). */
  coordinatorTickMs: 250,
};

/** A new bench database, migrated, with a jobgate Database on it; dropped again if migrating fails. */
export async function createMigratedBenchDatabase(
  tag: string,
  options: Omit<DatabaseOptions, 'url'> = {},
): Promise<{ bench: BenchDatabase; database: Database }> {
  const bench = await createBenchDatabase(tag);
  const database = await createDatabase({ maxConnections: 10, ...options, url: bench.url });
  try {
    await migrateDatabase(database, bench.url);
  } catch (err) {
    await database.close().catch(() => {});
    await bench.drop();
    throw err;
  }
  return { bench, database };
}
