// Retention: the leader deletes events, metric history, audit rows and the log lines of long-ended
// runs past their ages, in bounded batches; 0 keeps everything. Runs on PGlite, and on PostgreSQL
// when TEST_DATABASE_URL is set.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, events, logLines, metricHistory, runs } from '../../src/db/schema/index.ts';
import { takeLeaderTerm, type LeaderFence } from '../../src/runtime/coordinator/fence.ts';
import {
  createRetention,
  pruneExpiredRows,
  type RetentionSettings,
} from '../../src/runtime/coordinator/retention.ts';
import { ensureCluster } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
const LIMITS: RetentionSettings = { eventsDays: 7, metricHistoryDays: 7, logLinesDays: 14, auditDays: 90 };
const FOREVER: RetentionSettings = { eventsDays: 0, metricHistoryDays: 0, logLinesDays: 0, auditDays: 0 };

let t: TestDatabase;
let fence: LeaderFence;
beforeAll(async () => {
  t = await createTestDatabase();
  const clusterId = await ensureCluster(t.database, 'default');
  fence = {
    clusterId,
    term: await takeLeaderTerm(t.database, clusterId),
    signal: new AbortController().signal,
  };
});
afterAll(async () => {
  await t?.close();
});

/** Rows older than each limit and rows newer than it, oldest inserted first (as time inserts them). */
async function seedAged(prefix: string) {
  const { db } = t.database;
  const endedLongAgo = await seedRun(t.database, {
    name: `${prefix}-old`,
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
    logLines: 5,
    nodes: 1,
  });
  const endedRecently = await seedRun(t.database, {
    name: `${prefix}-recent`,
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
    logLines: 5,
    nodes: 1,
  });
  const stillRunning = await seedRun(t.database, {
    name: `${prefix}-running`,
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
    logLines: 5,
    nodes: 1,
  });
  await db
    .update(runs)
    .set({ status: 'FINISHED', endedAt: daysAgo(20) })
    .where(eq(runs.id, endedLongAgo.runId));
  await db
    .update(runs)
    .set({ status: 'FINISHED', endedAt: daysAgo(3) })
    .where(eq(runs.id, endedRecently.runId));
  for (const [at, tag] of [
    [daysAgo(100), 'old'],
    [daysAgo(10), 'middle'],
    [daysAgo(1), 'new'],
  ] as const) {
    await db
      .insert(events)
      .values(Array.from({ length: 3 }, () => ({ type: 'run:status', payload: { prefix, tag }, at })));
    await db
      .insert(metricHistory)
      .values(Array.from({ length: 3 }, () => ({ key: `${prefix}:${tag}`, name: 'm', value: 1, at })));
    await db
      .insert(auditEvents)
      .values(Array.from({ length: 3 }, () => ({ actor: prefix, action: tag, at })));
  }
  return {
    endedLongAgo: endedLongAgo.runId,
    endedRecently: endedRecently.runId,
    stillRunning: stillRunning.runId,
  };
}

async function counts(prefix: string, seeded: Awaited<ReturnType<typeof seedAged>>) {
  const count = async (query: ReturnType<typeof sql>) =>
    Number((await t.database.execute<{ n: number }>(query))[0]!.n);
  const byTag = async (table: string, column: string, value: string, tag: string) =>
    count(
      sql`select count(*)::int as n from ${sql.raw(table)} where ${sql.raw(column)} = ${value} and ${sql.raw(tag)}`,
    );
  const lines = (runId: string) =>
    count(sql`select count(*)::int as n from log_lines where run_id = ${runId}`);
  const tags = ['old', 'middle', 'new'] as const;
  const out: Record<string, number> = {};
  for (const tag of tags) {
    out[`events.${tag}`] = await byTag('events', "payload->>'prefix'", prefix, `payload->>'tag' = '${tag}'`);
    out[`metric_history.${tag}`] = await byTag(
      'metric_history',
      "split_part(key, ':', 1)",
      prefix,
      `split_part(key, ':', 2) = '${tag}'`,
    );
    out[`audit_events.${tag}`] = await byTag('audit_events', 'actor', prefix, `action = '${tag}'`);
  }
  out['log_lines.endedLongAgo'] = await lines(seeded.endedLongAgo);
  out['log_lines.endedRecently'] = await lines(seeded.endedRecently);
  out['log_lines.stillRunning'] = await lines(seeded.stillRunning);
  return out;
}

/** Passes until nothing is left to do (each pass is bounded by `batchRows`). */
async function pruneAll(settings: RetentionSettings, batchRows: number) {
  let cursor = null;
  for (let passes = 1; passes < 1_000; passes++) {
    const pass = await pruneExpiredRows(t.database, fence, settings, { batchRows, cursor });
    cursor = pass.cursor;
    if (!pass.more) return passes;
  }
  throw new Error('retention never caught up');
}

describe('retention', () => {
  it('deletes rows older than each limit, in batches, and keeps newer ones; 0 keeps everything', async () => {
    const seeded = await seedAged('limits');
    const before = await counts('limits', seeded);
    expect(before).toEqual({
      'events.old': 3,
      'events.middle': 3,
      'events.new': 3,
      'metric_history.old': 3,
      'metric_history.middle': 3,
      'metric_history.new': 3,
      'audit_events.old': 3,
      'audit_events.middle': 3,
      'audit_events.new': 3,
      'log_lines.endedLongAgo': 5,
      'log_lines.endedRecently': 5,
      'log_lines.stillRunning': 5,
    });

    // 0 for every kind: nothing goes, however old.
    await pruneAll(FOREVER, 2);
    expect(await counts('limits', seeded)).toEqual(before);

    // The limits, two rows a statement: several passes, and each old row goes.
    const passes = await pruneAll(LIMITS, 2);
    expect(passes).toBeGreaterThan(1);
    expect(await counts('limits', seeded)).toEqual({
      'events.old': 0,
      'events.middle': 0,
      'events.new': 3,
      'metric_history.old': 0,
      'metric_history.middle': 0,
      'metric_history.new': 3,
      // 90 days: only the 100-day-old audit rows go.
      'audit_events.old': 0,
      'audit_events.middle': 3,
      'audit_events.new': 3,
      // 14 days after the end: the run that ended 20 days ago loses its lines, the others keep them.
      'log_lines.endedLongAgo': 0,
      'log_lines.endedRecently': 5,
      'log_lines.stillRunning': 5,
    });
  });

  it('the coordinator runs a pass when due, and keeps going while a backlog is left', async () => {
    const { db } = t.database;
    // Rows are found oldest id first (ids follow insertion time): start from an empty table, as the
    // newer rows the first test left would come before these back-dated ones.
    await db.delete(events);
    const old = daysAgo(30);
    const oldEvents = async () =>
      Number(
        (
          await t.database.execute<{ n: number }>(
            sql`select count(*)::int as n from events where payload->>'prefix' = 'due' and at < now() - interval '7 days'`,
          )
        )[0]!.n,
      );
    await db
      .insert(events)
      .values(Array.from({ length: 5 }, () => ({ type: 'run:status', payload: { prefix: 'due' }, at: old })));
    const retention = createRetention(
      t.database,
      { ...FOREVER, eventsDays: 7 },
      { batchRows: 2, everyMs: 3_600_000 },
    );
    await retention.run(fence); // the first pass is due at once: 2 go, a backlog is left
    expect(await oldEvents()).toBe(3);
    await retention.run(fence); // the backlog makes the next tick's pass due
    await retention.run(fence);
    expect(await oldEvents()).toBe(0);
    // No backlog now: the next pass waits for `everyMs`, so a new old row stays for now (the same
    // call deleted old rows just above while a pass was due).
    await db.insert(events).values({ type: 'run:status', payload: { prefix: 'due' }, at: old });
    await retention.run(fence);
    expect(await oldEvents()).toBe(1);
  });

  it('a run going again (ended_at cleared) keeps its log lines', async () => {
    const seeded = await seedRun(t.database, {
      name: 'reopened',
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
      logLines: 4,
      nodes: 1,
    });
    // Ended long ago, then reopened by a restart of its failed parts: ended_at is null again.
    await t.database.db
      .update(runs)
      .set({ status: 'RESTARTING', endedAt: null })
      .where(eq(runs.id, seeded.runId));
    await pruneAll({ ...FOREVER, logLinesDays: 1 }, 100);
    const [row] = await t.database.execute<{ n: number }>(
      sql`select count(*)::int as n from ${logLines} where run_id = ${seeded.runId}`,
    );
    expect(Number(row!.n)).toBe(4);
  });
});
