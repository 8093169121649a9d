// log_lines has no foreign key to runs; these hold its integrity anyway, on both backends: an append
// for a run that does not exist inserts nothing, deleting runs (directly or by the cascade from their
// job) deletes their lines and only theirs, one statement writes several runs with gap-free seqs. On
// PostgreSQL, two sessions: an append racing a delete leaves no orphan either way round, and the run
// rows are locked in id order whatever order the runs come in.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, executeIn, type Database } from '../../src/db/client.ts';
import { jobs, runs } from '../../src/db/schema/index.ts';
import { newRunId } from '../../src/lib/ids.ts';
import { createLogAppender } from '../../src/runtime/logs/log-appender.ts';
import {
  appendLogLines,
  appendRunsLogLines,
  type LogLineInput,
} from '../../src/runtime/sql/append-log-lines.ts';
import { silentLogger } from '../support/app.ts';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { until } from '../support/wait.ts';

let t: TestDatabase;
let database: Database;

beforeAll(async () => {
  t = await createTestDatabase();
  database = t.database;
});
afterAll(() => t.close());

const NODE = { id: '00000000-0000-4000-8000-00000000a11b', name: 'integrity-node' };
const lines = (tag: string, n: number): LogLineInput[] =>
  Array.from({ length: n }, (_, i) => ({ at: new Date(), level: 30, message: `${tag} ${i}` }));

const seqs = async (runId: string) =>
  (
    await database.execute<{ seq: number; message: string }>(
      sql`select seq::int as seq, message from log_lines where run_id = ${runId} order by seq`,
    )
  ).map((r) => [r.seq, r.message] as const);

const lineCount = async (runId: string) =>
  Number(
    (
      await database.execute<{ n: number }>(
        sql`select count(*)::int as n from log_lines where run_id = ${runId}`,
      )
    )[0]!.n,
  );

const seed = (name: string) =>
  seedRun(database, { name, vertices: 1, parallelism: 1, checkpoints: 0, nodes: 1 });

it('one statement writes several runs, each gap-free and in order; a missing run takes nothing', async () => {
  const a = await seed('multi-a');
  const b = await seed('multi-b');
  const missing = 'e'.repeat(32);
  await appendLogLines(database, a.runId, NODE, lines('first', 2));
  await appendRunsLogLines(database, NODE, [
    { runId: b.runId, lines: lines('b', 3) },
    { runId: missing, lines: lines('gone', 4) },
    { runId: a.runId, lines: lines('a', 2) },
    { runId: b.runId, lines: lines('b again', 1) },
    { runId: a.runId, lines: [] },
  ]);
  expect(await seqs(a.runId)).toEqual([
    [1, 'first 0'],
    [2, 'first 1'],
    [3, 'a 0'],
    [4, 'a 1'],
  ]);
  expect(await seqs(b.runId)).toEqual([
    [1, 'b 0'],
    [2, 'b 1'],
    [3, 'b 2'],
    [4, 'b again 0'],
  ]);
  expect(await lineCount(missing)).toBe(0);
  const [seqOfA] = await database.db.select({ logSeq: runs.logSeq }).from(runs).where(eq(runs.id, a.runId));
  expect(Number(seqOfA!.logSeq)).toBe(4);
});

it('a LogAppender flush of many runs writes each of them in order', async () => {
  const seeded = await Promise.all([0, 1, 2, 3, 4].map((i) => seed(`appender-${i}`)));
  const appender = createLogAppender({ database, logger: silentLogger, node: NODE, maxBuffered: 7 });
  for (let i = 0; i < 20; i++) {
    for (const s of seeded) appender.append(s.runId, 'INFO', `line ${i}`);
  }
  await appender.close();
  for (const s of seeded) {
    expect(await seqs(s.runId)).toEqual(Array.from({ length: 20 }, (_, i) => [i + 1, `line ${i}`]));
  }
});

describe('deleting runs deletes their lines', () => {
  it('a run deleted directly, several in one statement, others untouched', async () => {
    const [gone1, gone2, kept] = await Promise.all([seed('del-1'), seed('del-2'), seed('del-kept')]);
    await appendRunsLogLines(
      database,
      NODE,
      [gone1, gone2, kept].map((s) => ({ runId: s.runId, lines: lines('x', 5) })),
    );
    // Positive control: the lines are there before the delete.
    expect(await lineCount(gone1.runId)).toBe(5);
    await database.execute(sql`delete from runs where id in (${gone1.runId}, ${gone2.runId})`);
    expect(await lineCount(gone1.runId)).toBe(0);
    expect(await lineCount(gone2.runId)).toBe(0);
    expect(await lineCount(kept.runId)).toBe(5);
  });

  it('runs deleted by the cascade from deleting their job', async () => {
    const deleted = await seed('cascade-job');
    const kept = await seed('cascade-kept');
    // A second run of the same job, so the cascade deletes several runs at once.
    const [first] = await database.db.select().from(runs).where(eq(runs.id, deleted.runId));
    const [second] = await database.db
      .insert(runs)
      .values({ id: newRunId(), jobId: first!.jobId, jobVersionId: first!.jobVersionId })
      .returning({ id: runs.id });
    await appendRunsLogLines(database, NODE, [
      { runId: deleted.runId, lines: lines('d', 3) },
      { runId: second!.id, lines: lines('d2', 2) },
      { runId: kept.runId, lines: lines('k', 4) },
    ]);
    expect(await lineCount(second!.id)).toBe(2);
    await database.db.delete(jobs).where(eq(jobs.id, deleted.jobId));
    expect(await database.db.select().from(runs).where(eq(runs.jobId, deleted.jobId))).toEqual([]);
    expect(await lineCount(deleted.runId)).toBe(0);
    expect(await lineCount(second!.id)).toBe(0);
    expect(await lineCount(kept.runId)).toBe(4);
  });
});

describe.skipIf(!usingPostgres)('two sessions on PostgreSQL', () => {
  let other: Database;
  beforeAll(async () => {
    other = await createDatabase({ url: t.url!, maxConnections: 3 });
  });
  afterAll(() => other?.close());

  /** Runs `work` in a transaction on the other session and keeps it open until `release()`. */
  function holdTransaction(work: (execute: Pick<Database, 'execute'>) => Promise<void>) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let ready = false;
    const done = other.db.transaction(async (tx) => {
      await work({ execute: (q) => executeIn(tx, q) });
      ready = true;
      await released;
    });
    done.catch(() => {});
    return { release, done, isReady: () => ready };
  }

  /** Whether a statement containing `text` is waiting for a lock in this test's database. */
  const waitingOnLock = async (text: string) =>
    Number(
      (
        await database.execute<{ n: number }>(sql`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and position(${text} in query) > 0`)
      )[0]!.n,
    ) > 0;

  it('a delete waiting for an append commits after it and deletes its lines too', async () => {
    const racing = await seed('race-append-first');
    const kept = await seed('race-append-kept');
    const append = holdTransaction((execute) =>
      appendRunsLogLines(execute, NODE, [
        { runId: racing.runId, lines: lines('r', 3) },
        { runId: kept.runId, lines: lines('k', 3) },
      ]),
    );
    try {
      await until('the append ran', append.isReady);
      const deleting = database.execute(sql`delete from runs where id = ${racing.runId}`);
      await until('the delete waits for the append', () => waitingOnLock('delete from runs'));
      append.release();
      await append.done;
      await deleting;
    } finally {
      append.release();
    }
    // The append committed (the other run kept its lines); the deleted run's lines went with it.
    expect(await lineCount(kept.runId)).toBe(3);
    expect(await lineCount(racing.runId)).toBe(0);
  });

  it('an append waiting for a delete inserts nothing once the delete commits', async () => {
    const racing = await seed('race-delete-first');
    const kept = await seed('race-delete-kept');
    const del = holdTransaction(async (execute) => {
      await execute.execute(sql`delete from runs where id = ${racing.runId}`);
    });
    try {
      await until('the delete ran', del.isReady);
      const appending = appendRunsLogLines(database, NODE, [
        { runId: racing.runId, lines: lines('r', 3) },
        { runId: kept.runId, lines: lines('k', 3) },
      ]);
      await until('the append waits for the delete', () => waitingOnLock('with input as'));
      del.release();
      await del.done;
      await appending;
    } finally {
      del.release();
    }
    expect(await lineCount(kept.runId)).toBe(3);
    expect(await lineCount(racing.runId)).toBe(0);
  });

  it('locks the run rows in id order, whatever order the runs come in', async () => {
    const [x, y] = await Promise.all([seed('order-x'), seed('order-y')]);
    const [low, high] = [x.runId, y.runId].sort();
    // The other session holds the lower run's row.
    const holder = holdTransaction((execute) =>
      appendRunsLogLines(execute, NODE, [{ runId: low!, lines: lines('held', 1) }]),
    );
    try {
      await until('the lower run is held', holder.isReady);
      // Both runs, the higher first: it must wait for the lower one holding nothing else...
      const both = appendRunsLogLines(database, NODE, [
        { runId: high!, lines: lines('both', 1) },
        { runId: low!, lines: lines('both', 1) },
      ]);
      await until('the two-run append waits', () => waitingOnLock('with input as'));
      // ...so a third session can still write the higher run (it would wait too had the higher
      // row been locked first).
      await appendRunsLogLines(other, NODE, [{ runId: high!, lines: lines('alone', 1) }]);
      expect(await seqs(high!)).toEqual([[1, 'alone 0']]);
      holder.release();
      await holder.done;
      await both;
    } finally {
      holder.release();
    }
    expect(await seqs(low!)).toEqual([
      [1, 'held 0'],
      [2, 'both 0'],
    ]);
    expect(await seqs(high!)).toEqual([
      [1, 'alone 0'],
      [2, 'both 0'],
    ]);
  });
});
