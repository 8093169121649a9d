// Retention: the leader deletes rows older than the configured ages, in bounded batches.
//
// Every statement deletes at most `batchRows` rows, reading them through an index, in its own short
// fenced transaction: a backlog of millions (retention turned on late, a coordinator down for a
// week) is worked off one batch per tick, and never holds one long transaction or a long lock.
// Without a backlog a pass runs once every `everyMs`.
import { sql, type SQL } from 'drizzle-orm';
import { executeIn, type Database } from '../../db/client.ts';
import { fenced, type LeaderFence } from './fence.ts';

/** How long rows are kept, in days; 0 keeps them forever. */
export interface RetentionSettings {
  /** Runtime events (`events`). */
  eventsDays: number;
  /** Metric history samples (`metric_history`; current values are never pruned). */
  metricHistoryDays: number;
  /** Log lines of runs that ended this long ago (a run still going keeps all its lines). */
  logLinesDays: number;
  /** Audit rows (`audit_events`). */
  auditDays: number;
}

/** Rows deleted per statement: large enough to keep up with a busy cluster (a 1 Hz metric of 100
 * subtasks is 8.6 M rows a day, 1 700 batches, one per 250 ms tick is 7 minutes), small enough to
 * stay a short transaction. */
const RETENTION_BATCH_ROWS = 5_000;
/** Pause between passes when there is no backlog: the ages are days, a minute late is nothing. */
const PASS_EVERY_MS = 60_000;
/** Ended runs whose log lines one pass looks at. */
const RUNS_PER_PASS = 500;

/** Where the log-line pass stands: runs ended up to here (ended_at, id) have no lines left. Kept in
 * memory; a new leader starts from the oldest run again, walking the ended-runs index. */
interface LogCursor {
  endedAt: string;
  id: string;
}

export interface Retention {
  /** Runs a pass when one is due (a backlog is left, or `everyMs` has passed). */
  run(fence: LeaderFence): Promise<void>;
}

export function createRetention(
  database: Database,
  settings: RetentionSettings,
  options: { batchRows?: number; everyMs?: number } = {},
): Retention {
  const batchRows = options.batchRows ?? RETENTION_BATCH_ROWS;
  const everyMs = options.everyMs ?? PASS_EVERY_MS;
  let lastPassAt = -Infinity;
  let backlog = false;
  let cursor: LogCursor | null = null;
  return {
    async run(fence) {
      if (!backlog && performance.now() - lastPassAt < everyMs) return;
      lastPassAt = performance.now();
      const pass = await pruneExpiredRows(database, fence, settings, { batchRows, cursor });
      backlog = pass.more;
      cursor = pass.cursor;
    },
  };
}

/** One bounded pass over every retained table. `more`: some table has rows left to delete. */
export async function pruneExpiredRows(
  database: Database,
  fence: LeaderFence,
  settings: RetentionSettings,
  options: { batchRows: number; cursor?: LogCursor | null },
): Promise<{ more: boolean; cursor: LogCursor | null }> {
  const { batchRows } = options;
  let more = false;
  for (const [table, days] of [
    ['events', settings.eventsDays],
    ['metric_history', settings.metricHistoryDays],
    ['audit_events', settings.auditDays],
  ] as const) {
    if (days > 0) more = (await pruneOldest(database, fence, table, days, batchRows)) === batchRows || more;
  }
  let cursor = options.cursor ?? null;
  if (settings.logLinesDays > 0) {
    const logs = await pruneLogLines(database, fence, settings.logLinesDays, batchRows, cursor);
    cursor = logs.cursor;
    more = logs.more || more;
  }
  return { more, cursor };
}

/**
 * Deletes the expired among the oldest `batchRows` rows of an append-only table. Its bigserial id
 * follows insertion, and `at` is the inserting transaction's time, so the oldest rows by id are
 * the oldest by time: the primary key finds them without an index on `at`, and a table with nothing
 * expired costs one short index read.
 */
async function pruneOldest(
  database: Database,
  fence: LeaderFence,
  table: 'events' | 'metric_history' | 'audit_events',
  days: number,
  batchRows: number,
): Promise<number> {
  const name = sql.raw(table);
  return countDeleted(
    database,
    fence,
    sql`delete from ${name} where id in (
      select id from (select id, at from ${name} order by id limit ${batchRows}::int) oldest
      where at < now() - ${days}::int * interval '1 day')
    returning 1`,
  );
}

/**
 * Deletes up to `batchRows` log lines of runs of this cluster that ended at least `days` ago, walking
 * those runs in (ended_at, id) order from `cursor` (runs_ended_idx). The cursor moves past a group
 * of runs once their lines are all gone.
 */
async function pruneLogLines(
  database: Database,
  fence: LeaderFence,
  days: number,
  batchRows: number,
  cursor: LogCursor | null,
): Promise<{ more: boolean; cursor: LogCursor | null }> {
  const after = cursor ? sql`and (r.ended_at, r.id) > (${cursor.endedAt}::timestamptz, ${cursor.id})` : sql``;
  const ended = await database.execute<{ id: string; ended_at: string }>(sql`
    select r.id, r.ended_at::text as ended_at from runs r join jobs j on j.id = r.job_id
    where r.ended_at < now() - ${days}::int * interval '1 day' ${after}
      and j.cluster_id = ${fence.clusterId}::uuid
    order by r.ended_at, r.id
    limit ${RUNS_PER_PASS}::int`);
  if (ended.length === 0) return { more: false, cursor };
  const ids = JSON.stringify(ended.map((r) => r.id));
  const deleted = await countDeleted(
    database,
    fence,
    sql`delete from log_lines where (run_id, seq) in (
      select run_id, seq from log_lines
      where run_id in (select jsonb_array_elements_text(${ids}::jsonb)::char(32))
      limit ${batchRows}::int)
    returning 1`,
  );
  if (deleted === batchRows) return { more: true, cursor };
  const last = ended.at(-1)!;
  return { more: ended.length === RUNS_PER_PASS, cursor: { endedAt: last.ended_at, id: last.id } };
}

async function countDeleted(database: Database, fence: LeaderFence, statement: SQL): Promise<number> {
  const rows = await fenced(database, fence, (tx) =>
    executeIn<{ n: number }>(tx, sql`with gone as (${statement}) select count(*)::int as n from gone`),
  );
  return Number(rows[0]?.n ?? 0);
}
