// Subscribers of one run share its reads: a wake-up (a batch of log lines committed) costs the same
// number of statements with 1, 50 or 200 `logs` subscribers, counted as statement-count.test.ts
// counts them (every statement the database client issues); 50 `metrics` subscribers cost one
// statement per tick.
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import { LOG_LEVEL_RANK } from '../../src/lib/status.ts';
import type { LogFeed, MetricFeed } from '../../src/runtime/index.ts';
import { appendLogLines } from '../../src/runtime/sql/append-log-lines.ts';
import { serveWithFeeds, type ServedWithFeeds } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { collect, seqsOf, TAIL_LOGS, wsClient, type Collected, type TailBatch } from '../support/log-tail.ts';
import { until } from '../support/wait.ts';

/** Long enough that only the NOTIFY of the append wakes the feed within the test. */
const NO_POLL = 3_600_000;
const METRICS = `subscription ($runId: ID!, $intervalMs: Int) {
  metrics(runId: $runId, intervalMs: $intervalMs) { at values { name value } }
}`;
/** Subscriptions share sockets, as a dashboard's tabs would: 20 per client. */
const PER_CLIENT = 20;

let testDb: TestDatabase;
let database: Database;
let served: ServedWithFeeds;
let baseUrl: string;
let token: string;
let logFeed: LogFeed;
let metricFeed: MetricFeed;
const statements: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase({ onStatement: (q) => statements.push(q) });
  database = testDb.database;
  served = await serveWithFeeds(database, { pollMs: NO_POLL });
  ({ baseUrl, logFeed, metricFeed } = served);
  token = (await createApiToken(database, 'viewer', 'log reader')).token;
});

afterAll(async () => {
  await served?.close();
  await testDb?.close();
});

/** Statements of one wake-up with `subscribers` subscribers of one run (the append excluded). */
async function statementsPerWakeUp(subscribers: number): Promise<number> {
  const { runId } = await seedRun(database, {
    name: `fan-out-${subscribers}`,
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
  });
  const clients: Client[] = [];
  const tails: Collected<TailBatch>[] = [];
  for (let i = 0; i < subscribers; i++) {
    if (i % PER_CLIENT === 0) clients.push(wsClient(baseUrl, token));
    tails.push(collect<TailBatch>(clients.at(-1)!, TAIL_LOGS, { runId, after: 'HEAD' }));
  }
  try {
    await until(`${subscribers} subscribers to join`, () => logFeed.stats().joined === subscribers, {
      timeoutMs: 60_000,
    });
    statements.length = 0;
    const lines = Array.from({ length: 10 }, (_, i) => ({
      at: new Date(),
      level: LOG_LEVEL_RANK.INFO,
      message: `wake ${i}`,
    }));
    await appendLogLines(database, runId, { id: null, name: null }, lines);
    await until(`every subscriber to get the batch`, () =>
      tails.every((tail) => seqsOf(tail.results).length === 10),
    );
    expect(tails.every((tail) => seqsOf(tail.results).join() === '1,2,3,4,5,6,7,8,9,10')).toBe(true);
    const appends = statements.filter((q) => /insert into log_lines/i.test(q)).length;
    expect(appends).toBe(1);
    const reads = statements.filter((q) => !/insert into log_lines/i.test(q));
    if (reads.length !== 1) console.log(reads);
    return reads.length;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await until('the subscribers to leave', () => logFeed.stats().subscribers === 0);
  }
}

it('a wake-up costs the same statements with 1, 50 or 200 subscribers of a run', async () => {
  const counts: Record<number, number> = {};
  for (const n of [1, 50, 200]) counts[n] = await statementsPerWakeUp(n);
  console.log(
    `logs: statements per wake-up: ${counts[1]} (1 subscriber), ${counts[50]} (50), ${counts[200]} (200)`,
  );
  expect(counts[50]).toBe(counts[1]);
  expect(counts[200]).toBe(counts[1]);
  // The run's status and head with its new lines, in one statement.
  expect(counts[1]).toBe(1);
  expect(logFeed.stats()).toMatchObject({ streams: 0, subscribers: 0, timers: 0, listening: false });
}, 180_000);

it('50 metric subscribers of a run share one stream: one statement per tick, whoever listens', async () => {
  const seeded = await seedRun(database, {
    name: 'metric-fan-out',
    vertices: 2,
    parallelism: 1,
    checkpoints: 0,
  });
  const clients = [wsClient(baseUrl, token), wsClient(baseUrl, token)];
  const watches = Array.from({ length: 50 }, (_, i) =>
    collect<{ metrics: { values: unknown[] } }>(clients[i % 2]!, METRICS, {
      runId: seeded.runId,
      intervalMs: 250,
    }),
  );
  try {
    await until('every first update', () => watches.every((w) => w.results.length === 1));
    expect(metricFeed.stats()).toMatchObject({ streams: 1, subscribers: 50 });
    statements.length = 0;
    const readsBefore = metricFeed.stats().reads;
    await until('a few ticks', () => metricFeed.stats().reads >= readsBefore + 4);
    // Reads are counted as they start: let the last one issue its statement before counting (one
    // that started just before the count was reset may add one more).
    const metricReads = () => statements.filter((q) => /from metrics_current/i.test(q)).length;
    await until(
      'the statements of those ticks',
      () => metricReads() >= metricFeed.stats().reads - readsBefore,
    );
    const reads = metricFeed.stats().reads - readsBefore;
    const others = statements.filter((q) => !/from metrics_current/i.test(q));
    console.log(`metrics: ${reads} ticks with 50 subscribers cost ${metricReads()} statements`);
    expect(metricReads()).toBeGreaterThanOrEqual(reads);
    expect(metricReads()).toBeLessThanOrEqual(reads + 1);
    expect(others).toEqual([]);
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await until('the watchers to leave', () => metricFeed.stats().streams === 0);
  }
});

it('subscribers joining, with after "HEAD", a run this gateway already streams cost no run lookup each', async () => {
  const { runId } = await seedRun(database, { name: 'storm', vertices: 1, parallelism: 1, checkpoints: 0 });
  const runLookups = () => statements.filter((q) => /from runs r where r\.id = any/.test(q)).length;
  const clients = [wsClient(baseUrl, token), wsClient(baseUrl, token), wsClient(baseUrl, token)];
  try {
    statements.length = 0;
    const tails = [collect<TailBatch>(clients[0]!, TAIL_LOGS, { runId, after: 'HEAD' })];
    await until('the first subscriber to join', () => logFeed.stats().joined === 1);
    // The first one had no stream to join: it looked the run up (the count sees lookups).
    expect(runLookups()).toBe(1);
    statements.length = 0;
    for (let i = 0; i < 60; i++) {
      tails.push(collect<TailBatch>(clients[i % 3]!, TAIL_LOGS, { runId, after: 'HEAD' }));
    }
    await until('61 subscribers to join', () => logFeed.stats().joined === 61, { timeoutMs: 60_000 });
    // A lookup each would be 60: they join the stream, whose reads found the run.
    expect(runLookups()).toBe(0);
    const lines = [1, 2, 3].map((i) => ({
      at: new Date(),
      level: LOG_LEVEL_RANK.INFO,
      message: `storm ${i}`,
    }));
    await appendLogLines(database, runId, { id: null, name: null }, lines);
    await until('every subscriber to get the lines', () =>
      tails.every((tail) => seqsOf(tail.results).length === 3),
    );
    expect(tails.every((tail) => seqsOf(tail.results).join() === '1,2,3')).toBe(true);
    expect(tails.flatMap((tail) => tail.errors)).toEqual([]);
    // A run that does not exist is still refused (no stream knows it).
    const missing = collect<TailBatch>(clients[0]!, TAIL_LOGS, { runId: 'f'.repeat(32), after: 'HEAD' });
    await missing.done;
    expect(missing.errors[0]?.extensions?.code).toBe('NOT_FOUND');
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await until('the subscribers to leave', () => logFeed.stats().subscribers === 0);
  }
}, 180_000);
