// A log subscriber that stops reading while a run logs 10,000 lines/s for 30 s, on PostgreSQL: the
// gateway's heap (after full collections) and the feed's per-subscriber buffer while it stalls, and
// whether the client gets every line, once, in order, when it reads again. The test
// (test/graphql/logs-backpressure.test.ts) runs the same scenario for 4 s.
//
//   node --import tsx bench/logs-stalled-client.ts
//   BENCH_STALL_RATE=10000 BENCH_STALL_S=30 BENCH_STALL_BUFFER=2000 (the feed's default maxBuffered)
import { createApiToken } from '../src/db/tokens.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../src/runtime/index.ts';
import { buildServedApp } from '../test/support/app.ts';
import { seedRun } from '../test/support/fixtures.ts';
import { runStalledClient, type StallResult } from '../test/support/log-stall.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createMigratedBenchDatabase } from './support/runtime-env.ts';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface StallBenchOptions {
  linesPerSecond: number;
  seconds: number;
  maxBuffered: number;
}

export const defaultStallOptions = (): StallBenchOptions => ({
  linesPerSecond: num('BENCH_STALL_RATE', 10_000),
  seconds: num('BENCH_STALL_S', 30),
  maxBuffered: num('BENCH_STALL_BUFFER', 2_000),
});

export async function stalledClientBench(options = defaultStallOptions()): Promise<string> {
  const { bench, database } = await createMigratedBenchDatabase('stall');
  const events = createEventFeed(database);
  const logFeed = createLogFeed(database, { maxBuffered: options.maxBuffered });
  const metricFeed = createMetricFeed(database);
  const app = buildServedApp(database, {
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: false,
      events,
      logFeed,
      metricFeed,
    },
  });
  let result: StallResult;
  try {
    const baseUrl = await app.start();
    const token = (await createApiToken(database, 'viewer', 'stalled reader')).token;
    const { runId } = await seedRun(database, {
      name: 'stalled',
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
    });
    progress(`stalled client: ${options.linesPerSecond} lines/s for ${options.seconds} s`);
    result = await runStalledClient({
      database,
      baseUrl,
      token,
      logFeed,
      runId,
      linesPerSecond: options.linesPerSecond,
      seconds: options.seconds,
      drainTimeoutMs: 600_000,
    });
  } finally {
    await app.stop();
    await Promise.all([events.close(), logFeed.close(), metricFeed.close()]);
    await database.close();
    await bench.drop();
  }
  return [
    `### Stalled log subscriber (${options.linesPerSecond} lines/s for ${options.seconds} s, maxBuffered ${options.maxBuffered})`,
    '',
    'One raw graphql-ws client subscribes to a run and pauses its socket; the run logs at a',
    'steady rate (300-character messages, batches every 100 ms); the gateway runs in the bench process,',
    'whose heap is sampled after a full collection every second. Then the client reads again; when the',
    'gateway dropped the stalled socket meanwhile (graphql-ws ends a socket whose pong does not come',
    'within its 12 s keep-alive), it reconnects with its last cursor, as a real client does.',
    '',
    '| written | rate kept /s | written MB | peak lines buffered | pauses | heap before MB | heap peak MB | heap at end of stall MB | RSS before MB | RSS peak MB | received | exact | reconnects | drain s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${result.written} | ${result.writtenPerSecond} | ${fmt(result.writtenMb)} | ${result.peakBuffered} | ${result.pauses} | ${fmt(
      result.heapBeforeMb,
    )} | ${fmt(result.heapPeakMb)} | ${fmt(result.heapStalledEndMb)} | ${fmt(result.rssBeforeMb)} | ${fmt(
      result.rssPeakMb,
    )} | ${result.received} | ${result.exact ? 'yes' : 'NO'} | ${result.reconnects} | ${fmt(result.drainSeconds)} |`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => stalledClientBench());
