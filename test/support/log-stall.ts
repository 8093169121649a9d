// The stalled-client scenario, shared by its test (short) and its bench (bench/logs-stalled-client.ts,
// 10,000 lines/s for 30 s): a raw graphql-ws subscriber stops reading its socket while a run logs at a
// steady rate; the gateway's heap and the feed's per-subscriber buffer are sampled throughout; then
// the client reads again and must get every line once, in order.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Database } from '../../src/db/client.ts';
import type { LogFeed } from '../../src/runtime/index.ts';
import { appendLogLines, type LogLineInput } from '../../src/runtime/sql/append-log-lines.ts';
import { rawLogSubscriber } from './log-tail.ts';
import { until } from './wait.ts';

export interface StallOptions {
  database: Database;
  /** The gateway serving `logFeed` (in this process, so its heap is this process's). */
  baseUrl: string;
  token: string;
  logFeed: LogFeed;
  runId: string;
  linesPerSecond: number;
  seconds: number;
  /** Characters per message (default 300: lines big enough that the socket buffers fill). */
  messageChars?: number;
  /** How long the client may take to read everything once it resumes (default 120 s). */
  drainTimeoutMs?: number;
}

export interface StallResult {
  written: number;
  /** The rate the writer kept (lines/s). */
  writtenPerSecond: number;
  received: number;
  /** How often the client had to reconnect (the gateway dropped the stalled socket). */
  reconnects: number;
  /** Seqs received were exactly 1..written, each once. */
  exact: boolean;
  peakBuffered: number;
  pauses: number;
  /** Heap after a full collection: before the stall, the most while stalled, at the stall's end. */
  heapBeforeMb: number;
  heapPeakMb: number;
  heapStalledEndMb: number;
  /** Raw message bytes written while the client stalled. */
  writtenMb: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  drainSeconds: number;
}

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A full collection on demand, so heap samples count live objects only (the usual recipe for
 * getting `gc` without starting node with --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function runStalledClient(options: StallOptions): Promise<StallResult> {
  const { database, runId, linesPerSecond, seconds } = options;
  const filler = 'x'.repeat(options.messageChars ?? 300);
  const client = await rawLogSubscriber(options.baseUrl, options.token, { runId, after: '0' });
  let lastCursor: string | undefined;
  try {
    await until('the subscriber to join', () => options.logFeed.stats().joined === 1);
    client.pause();
    const gc = collector();
    gc();
    const before = process.memoryUsage();
    let heapPeak = before.heapUsed;
    let rssPeak = before.rss;
    const sample = () => {
      gc();
      const now = process.memoryUsage();
      heapPeak = Math.max(heapPeak, now.heapUsed);
      rssPeak = Math.max(rssPeak, now.rss);
      return now.heapUsed;
    };
    const sampler = setInterval(sample, 1_000);
    const tickMs = 100;
    const perTick = Math.round((linesPerSecond * tickMs) / 1000);
    const ticks = Math.round((seconds * 1000) / tickMs);
    const started = Date.now();
    let written = 0;
    try {
      for (let tick = 0; tick < ticks; tick++) {
        const lines: LogLineInput[] = Array.from({ length: perTick }, (_, i) => ({
          at: new Date(),
          level: 30,
          message: `line ${written + i + 1} ${filler}`,
        }));
        await appendLogLines(database, runId, { id: null, name: null }, lines);
        written += perTick;
        const due = started + (tick + 1) * tickMs;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    } finally {
      clearInterval(sampler);
    }
    const writeSeconds = (Date.now() - started) / 1000;
    const stalledEnd = sample();
    const stats = options.logFeed.stats();
    const drainStarted = Date.now();
    client.resume();
    // The gateway may have dropped the stalled connection meanwhile (graphql-ws pings every 12 s and
    // ends a socket whose pong does not come): the client then does what a real one does, it
    // reconnects and resumes from the last cursor it got.
    const seqs = client.seqs;
    let current = client;
    let reconnects = 0;
    const drainTimeoutMs = options.drainTimeoutMs ?? 120_000;
    for (;;) {
      const reading = current;
      const got = () => seqs.length + (reading === client ? 0 : reading.seqs.length);
      const ended = () =>
        reading.completed() || reading.closedWith() !== undefined || reading.errors.length > 0;
      await until(`all ${written} lines after the client reads again`, () => got() >= written || ended(), {
        timeoutMs: drainTimeoutMs,
      });
      if (reading !== client) {
        for (const seq of reading.seqs) seqs.push(seq);
        reading.seqs.length = 0;
      }
      if (seqs.length >= written) break;
      if (reading.completed() || reading.closedWith() === undefined || reconnects >= 5) {
        throw new Error(
          `the subscription ended after ${seqs.length} of ${written} lines: ${JSON.stringify(reading.errors)} (close ${reading.closedWith()})`,
        );
      }
      reconnects++;
      const cursor = reading.cursor() ?? lastCursor;
      if (reading !== client) await reading.close();
      lastCursor = cursor;
      current = await rawLogSubscriber(options.baseUrl, options.token, { runId, after: cursor ?? '0' });
    }
    if (current !== client) await current.close();
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    return {
      written,
      writtenPerSecond: Math.round(written / writeSeconds),
      received: seqs.length,
      exact: seqs.length === written && seqs.every((seq, i) => seq === i + 1),
      reconnects,
      peakBuffered: stats.peakBuffered,
      pauses: stats.pauses,
      heapBeforeMb: mb(before.heapUsed),
      heapPeakMb: mb(heapPeak),
      heapStalledEndMb: mb(stalledEnd),
      writtenMb: mb(written * (filler.length + 12)),
      rssBeforeMb: mb(before.rss),
      rssPeakMb: mb(rssPeak),
      drainSeconds,
    };
  } finally {
    await client.close();
  }
}
