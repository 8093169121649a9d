// The `logs` and `metrics` subscriptions over a real socket with real graphql-ws clients: history in
// pages then live batches with resumable cursors, "HEAD", the logLines filters, completion when the
// run ends, clear errors, coalesced metric updates, and nothing left behind once clients leave.
import { and, eq } from 'drizzle-orm';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { metricsCurrent, runs } from '../../src/db/schema/index.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import { LOG_LEVEL_RANK, RunStatus, type LogLevel } from '../../src/lib/status.ts';
import type { LogFeed, MetricFeed } from '../../src/runtime/index.ts';
import { transitionRun } from '../../src/runtime/runs/transition-run.ts';
import { appendLogLines, type LogLineInput } from '../../src/runtime/sql/append-log-lines.ts';
import { serveWithFeeds, type ServedWithFeeds } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { collect, seqsOf, TAIL_LOGS, wsClient, type TailBatch } from '../support/log-tail.ts';
import { until } from '../support/wait.ts';

let testDb: TestDatabase;
let database: Database;
let served: ServedWithFeeds;
let baseUrl: string;
let token: string;
let logFeed: LogFeed;
let metricFeed: MetricFeed;
const clients: Client[] = [];
let runCount = 0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = testDb.database;
  served = await serveWithFeeds(database, { pollMs: 100, settleMs: 300 });
  ({ baseUrl, logFeed, metricFeed } = served);
  token = (await createApiToken(database, 'viewer', 'log reader')).token;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  // Every client left: the feeds hold nothing (no stream, subscriber, timer or LISTEN).
  await until('the feeds to let go of every subscriber', () => {
    const logs = logFeed.stats();
    const metrics = metricFeed.stats();
    return (
      logs.streams + logs.subscribers + logs.timers + metrics.streams + metrics.subscribers === 0 &&
      !logs.listening
    );
  });
});

afterAll(async () => {
  await served?.close();
  await testDb?.close();
});

function client(): Client {
  const c = wsClient(baseUrl, token);
  clients.push(c);
  return c;
}

async function newRun(): Promise<string> {
  const seeded = await seedRun(database, {
    name: `logs-${++runCount}`,
    vertices: 2,
    parallelism: 1,
    checkpoints: 0,
  });
  return seeded.runId;
}

interface LineShape {
  level?: LogLevel;
  vertex?: string;
  subtaskIndex?: number;
  message?: string;
}

async function append(runId: string, count: number, shape: (i: number) => LineShape = () => ({})) {
  const lines: LogLineInput[] = Array.from({ length: count }, (_, i) => {
    const s = shape(i);
    return {
      at: new Date(),
      level: LOG_LEVEL_RANK[s.level ?? 'INFO'],
      vertex: s.vertex ?? null,
      subtaskIndex: s.subtaskIndex ?? null,
      message: s.message ?? `line ${i}`,
    };
  });
  await appendLogLines(database, runId, { id: null, name: null }, lines);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function graphqlOverHttp(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

describe('logs', () => {
  it('sends the history in pages, then live batches; each cursor resumes right after its batch', async () => {
    const runId = await newRun();
    await append(runId, 1_200);
    const c = client();
    const tail = collect<TailBatch>(c, TAIL_LOGS, { runId });
    await until('the history', () => seqsOf(tail.results).length === 1_200);
    expect(tail.results.map((r) => r.logs.lines.length)).toEqual([500, 500, 200]);
    expect(tail.results.map((r) => r.logs.cursor)).toEqual(['500', '1000', '1200']);
    await append(runId, 5);
    await until('the live lines', () => seqsOf(tail.results).length === 1_205);
    expect(seqsOf(tail.results)).toEqual(range(1, 1_205));
    expect(tail.results.at(-1)!.logs.cursor).toBe('1205');
    expect(tail.completed()).toBe(false);
    tail.stop();

    // A new subscription from a batch's cursor gets exactly what followed it.
    const resumed = collect<TailBatch>(c, TAIL_LOGS, { runId, after: '1000' });
    await until('the rest', () => seqsOf(resumed.results).length === 205);
    expect(seqsOf(resumed.results)).toEqual(range(1_001, 1_205));
    resumed.stop();
  });

  it('after "HEAD" sends only lines written from then on', async () => {
    const runId = await newRun();
    await append(runId, 30);
    const tail = collect<TailBatch>(client(), TAIL_LOGS, { runId, after: 'HEAD' });
    await until('the subscriber to join', () => logFeed.stats().joined === 1);
    await append(runId, 3);
    await until('the new lines', () => seqsOf(tail.results).length >= 3);
    expect(seqsOf(tail.results)).toEqual([31, 32, 33]);
    tail.stop();
  });

  it('takes the logLines filters, for history and live lines alike, and shares its cursor', async () => {
    const runId = await newRun();
    const shape = (i: number): LineShape => ({
      level: (['DEBUG', 'INFO', 'WARN', 'ERROR'] as const)[i % 4],
      vertex: i % 3 === 0 ? 'v0' : 'v1',
      subtaskIndex: i % 2,
      message: i % 5 === 0 ? `Disk FULL at ${i}` : `ok ${i}`,
    });
    await append(runId, 40, shape);
    const filters = { level: 'WARN', vertex: 'v1', subtaskIndex: 1 };
    const tail = collect<TailBatch>(client(), TAIL_LOGS, { runId, ...filters });
    const searched = collect<TailBatch>(client(), TAIL_LOGS, { runId, search: 'disk full' });
    await until('both to join', () => logFeed.stats().joined === 2);
    await append(runId, 40, (i) => shape(i + 40));

    const query = `query ($runId: ID!, $after: String, $first: Int, $level: LogLevel, $vertex: String,
        $subtaskIndex: Int, $search: String) {
      logLines(runId: $runId, after: $after, first: $first, level: $level, vertex: $vertex,
          subtaskIndex: $subtaskIndex, search: $search) {
        nodes { seq } pageInfo { endCursor }
      }
    }`;
    const expected = async (variables: Record<string, unknown>) => {
      const res = await graphqlOverHttp(query, { runId, first: 1000, ...variables });
      return (res.data!.logLines.nodes as { seq: number }[]).map((n) => n.seq);
    };
    const wantFiltered = await expected(filters);
    const wantSearched = await expected({ search: 'disk full' });
    expect(wantFiltered.length).toBeGreaterThan(4);
    expect(wantSearched).toEqual(range(0, 15).map((i) => i * 5 + 1));
    await until('the filtered lines', () => seqsOf(tail.results).length === wantFiltered.length);
    await until('the searched lines', () => seqsOf(searched.results).length === wantSearched.length);
    expect(seqsOf(tail.results)).toEqual(wantFiltered);
    expect(seqsOf(searched.results)).toEqual(wantSearched);
    // The last live batch's cursor is the run's head although its last line matched earlier.
    expect(tail.results.at(-1)!.logs.cursor).toBe('80');

    // A logLines cursor resumes a subscription, and a subscription's cursor a logLines page.
    const page = await graphqlOverHttp(query, { runId, first: 10 });
    const fromQuery = collect<TailBatch>(client(), TAIL_LOGS, {
      runId,
      after: page.data!.logLines.pageInfo.endCursor,
    });
    await until('the lines after the page', () => seqsOf(fromQuery.results).length === 70);
    expect(seqsOf(fromQuery.results)).toEqual(range(11, 80));
    expect(await expected({ after: tail.results[0]!.logs.cursor, ...filters })).toEqual(
      wantFiltered.filter((seq) => seq > Number(tail.results[0]!.logs.cursor)),
    );
  });

  it('completes once the run has ended and every line was sent', async () => {
    const runId = await newRun();
    await append(runId, 10);
    const tail = collect<TailBatch>(client(), TAIL_LOGS, { runId });
    await until('the history', () => seqsOf(tail.results).length === 10);
    const [row] = await database.db.select().from(runs).where(eq(runs.id, runId));
    const moved = await database.db.transaction((tx) =>
      transitionRun(database, tx, row!, RunStatus.FINISHED, 'test'),
    );
    expect(moved.ok).toBe(true);
    // Lines flushed just after the status change still arrive before the end.
    await append(runId, 2);
    await tail.done;
    expect(tail.errors).toEqual([]);
    expect(seqsOf(tail.results)).toEqual(range(1, 12));

    // On a run that ended long ago the history comes, then the end.
    const late = collect<TailBatch>(client(), TAIL_LOGS, { runId, after: '4' });
    await late.done;
    expect(seqsOf(late.results)).toEqual(range(5, 12));
  });

  it('refuses a bad cursor and an unknown run with clear errors', async () => {
    const runId = await newRun();
    await append(runId, 3);
    const c = client();
    const bad = collect<TailBatch>(c, TAIL_LOGS, { runId, after: 'abc' });
    const beyond = collect<TailBatch>(c, TAIL_LOGS, { runId, after: '99' });
    const unknown = collect<TailBatch>(c, TAIL_LOGS, { runId: 'f'.repeat(32) });
    const malformedRun = collect<TailBatch>(c, TAIL_LOGS, { runId: 'nope' });
    await Promise.all([bad.done, beyond.done, unknown.done, malformedRun.done]);
    expect(bad.errors).toEqual([
      expect.objectContaining({
        message: 'after must be a log cursor (a line\'s seq, e.g. "120"), got "abc"',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
    expect(beyond.errors[0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(beyond.errors[0]!.message).toContain('after 99 lies beyond the last line');
    expect(unknown.errors[0]!.extensions!.code).toBe('NOT_FOUND');
    expect(malformedRun.errors[0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect([bad, beyond, unknown, malformedRun].every((s) => s.results.length === 0)).toBe(true);
  });
});

const WATCH_METRICS = `subscription WatchMetrics($runId: ID!, $names: [String!], $intervalMs: Int) {
  metrics(runId: $runId, names: $names, intervalMs: $intervalMs) { at values { name scope value } }
}`;

interface MetricBatch {
  metrics: { at: string; values: { name: string; scope: string; value: number }[] };
}

describe('metrics', () => {
  it('sends every value first, then only what changed, newest only', async () => {
    const seeded = await seedRun(database, {
      name: `metrics-${++runCount}`,
      vertices: 2,
      parallelism: 1,
      checkpoints: 0,
    });
    const { runId } = seeded;
    const watch = collect<MetricBatch>(client(), WATCH_METRICS, { runId, intervalMs: 250 });
    const named = collect<MetricBatch>(client(), WATCH_METRICS, {
      runId,
      names: ['numBytesOut'],
      intervalMs: 250,
    });
    await until('the first updates', () => watch.results.length === 1 && named.results.length === 1);
    expect(watch.results[0]!.metrics.values).toHaveLength(6);
    expect(named.results[0]!.metrics.values.map((v) => v.name)).toEqual(['numBytesOut', 'numBytesOut']);

    const setValue = (name: string, value: number) =>
      database.db
        .update(metricsCurrent)
        .set({ value, at: new Date() })
        .where(
          and(
            eq(metricsCurrent.runId, runId),
            eq(metricsCurrent.vertexId, seeded.vertexIds[0]!),
            eq(metricsCurrent.name, name),
          ),
        );
    // Three writes of one metric: at most the newest two are sent (coalesced within an interval).
    await setValue('numRecordsIn', 1);
    await setValue('numRecordsIn', 2);
    await setValue('numRecordsIn', 3);
    await until('the change', () => watch.results.at(-1)!.metrics.values.some((v) => v.value === 3));
    const changes = watch.results.slice(1).flatMap((r) => r.metrics.values);
    expect(changes.every((v) => v.name === 'numRecordsIn')).toBe(true);
    expect(changes.length).toBeLessThanOrEqual(3);
    // The filtered watcher heard nothing of it: a change of its own name is its next update.
    await setValue('numBytesOut', 7);
    await until('the named change', () => named.results.length === 2);
    expect(named.results[1]!.metrics.values).toEqual([{ name: 'numBytesOut', scope: 'VERTEX', value: 7 }]);
  });

  it('refuses an interval below the floor', async () => {
    const runId = await newRun();
    const fast = collect<MetricBatch>(client(), WATCH_METRICS, { runId, intervalMs: 10 });
    const unknown = collect<MetricBatch>(client(), WATCH_METRICS, { runId: 'f'.repeat(32) });
    await Promise.all([fast.done, unknown.done]);
    expect(fast.errors[0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(fast.errors[0]!.message).toBe('intervalMs must be between 250 and 3600000, got 10');
    expect(unknown.errors[0]!.extensions!.code).toBe('NOT_FOUND');
  });
});
