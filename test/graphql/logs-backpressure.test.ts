// A client that stops reading while a run logs 10,000 lines/s: the gateway keeps at most
// `maxBuffered` lines for it (it is paused and later catches up from its cursor), its heap does not
// grow with the lines written, and once the client reads again it gets every line, once, in order.
// The test runs 4 s (2 s on PGlite); bench/logs-stalled-client.ts runs the full 30 s on PostgreSQL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import type { LogFeed } from '../../src/runtime/index.ts';
import { serveWithFeeds, type ServedWithFeeds } from '../support/app.ts';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { runStalledClient } from '../support/log-stall.ts';
import { until } from '../support/wait.ts';

const MAX_BUFFERED = 1_000;

let testDb: TestDatabase;
let database: Database;
let served: ServedWithFeeds;
let baseUrl: string;
let token: string;
let logFeed: LogFeed;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = testDb.database;
  served = await serveWithFeeds(database, { pollMs: 200, maxBuffered: MAX_BUFFERED });
  ({ baseUrl, logFeed } = served);
  token = (await createApiToken(database, 'viewer', 'slow reader')).token;
});

afterAll(async () => {
  await served?.close();
  await testDb?.close();
});

it('a stalled client costs at most maxBuffered lines and then gets every line', async () => {
  const { runId } = await seedRun(database, { name: 'stalled', vertices: 1, parallelism: 1, checkpoints: 0 });
  const result = await runStalledClient({
    database,
    baseUrl,
    token,
    logFeed,
    runId,
    linesPerSecond: 10_000,
    // PGlite writes ~3,000 of these lines/s on a busy 2-core machine: 20,000 lines are enough there.
    seconds: usingPostgres ? 4 : 2,
    // Frames are written to a caught-up socket directly until it holds 64 KiB unsent: lines large
    // enough that what is written overflows the kernel's socket buffers (several MB on loopback)
    // well before the end, so the client's queue fills and it is paused.
    messageChars: 2_000,
  });
  console.log(`logs-backpressure: ${JSON.stringify(result)}`);
  expect(result.exact).toBe(true);
  // The client really stalled: its socket filled, it left the direct path, its queue filled and it
  // was paused at least once.
  expect(logFeed.stats().refusals).toBeGreaterThan(0);
  expect(result.pauses).toBeGreaterThan(0);
  expect(result.peakBuffered).toBeLessThanOrEqual(MAX_BUFFERED);
  // And the heap (after full collections) grew by less than what was written meanwhile.
  expect(result.heapPeakMb - result.heapBeforeMb).toBeLessThan(result.writtenMb);
  await until('the feed to let go of the client', () => logFeed.stats().subscribers === 0);
});
