import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { LOGS_CHANNEL } from '../channels.ts';

export interface LogLineInput {
  at: Date;
  /** 10..50, see LOG_LEVEL_RANK */
  level: number;
  vertex?: string | null;
  subtaskIndex?: number | null;
  message: string;
}

/** One run's lines, in the order they are to be numbered. */
export interface RunLogLines {
  runId: string;
  lines: readonly LogLineInput[];
}

/** Appends a batch of one run's log lines (see appendRunsLogLines). */
export function appendLogLines(
  database: Pick<Database, 'execute'>,
  runId: string,
  node: { id: string | null; name: string | null },
  lines: readonly LogLineInput[],
): Promise<void> {
  return appendRunsLogLines(database, node, [{ runId, lines }]);
}

/**
 * Appends batches of log lines of several runs in ONE statement, so a node's flush costs one round
 * trip and one statement however many runs it covers. (A flush of four runs as four statements of a
 * quarter of the lines each ran at 53% of a bare COPY; COPY FROM STDIN itself, after an UPDATE that
 * reserves the seqs, was measured no faster with four runs and a third slower with one; see
 * BENCHMARKS.md.)
 *
 * Seqs: the UPDATE of each run's `log_seq` takes the run row's lock until the statement commits, so
 * concurrent writers of one run (several nodes) queue behind each other: seqs are gap-free and follow
 * commit order, which is what lets a reader that saw seq N be sure nothing below N can still appear.
 * The rows are locked in id order first (`locked`; the UPDATE only touches rows already locked), so
 * two nodes flushing overlapping sets of runs wait for each other instead of deadlocking.
 *
 * Integrity without a foreign key: the lines are inserted only for the run rows the UPDATE found, so
 * a run that does not exist takes nothing; a run deleted after the UPDATE waits for this commit and
 * its delete trigger then removes these lines too (migration 0008).
 *
 * The same statement wakes the log feed: `pg_notify` in the UPDATE's RETURNING runs once per run and,
 * like any NOTIFY, is delivered when the transaction commits, so a reader woken by it sees the lines.
 * The lines travel as one JSON parameter (both drivers bind it the same way; drizzle would spread a
 * JS array into many parameters).
 */
export async function appendRunsLogLines(
  database: Pick<Database, 'execute'>,
  node: { id: string | null; name: string | null },
  batches: readonly RunLogLines[],
): Promise<void> {
  // One entry per run: the UPDATE … FROM would bump a run listed twice only once.
  const byRun = new Map<string, LogLineInput[]>();
  for (const { runId, lines } of batches) {
    if (lines.length === 0) continue;
    const mine = byRun.get(runId);
    if (mine) mine.push(...lines);
    else byRun.set(runId, [...lines]);
  }
  if (byRun.size === 0) return;
  const payload = JSON.stringify(
    [...byRun].map(([runId, lines]) => ({
      r: runId,
      n: lines.length,
      l: lines.map((l) => ({
        a: l.at.toISOString(),
        l: l.level,
        v: l.vertex ?? null,
        s: l.subtaskIndex ?? null,
        m: l.message,
      })),
    })),
  );
  await database.execute(sql`
    with input as (
      select b.r, b.n, b.l from jsonb_to_recordset(${payload}::jsonb) as b(r char(32), n int, l jsonb)
    ), locked as (
      select id from runs where id in (select r from input) order by id for update
    ), bumped as (
      update runs set log_seq = runs.log_seq + input.n
      from locked join input on input.r = locked.id
      where runs.id = locked.id
      returning runs.id, runs.log_seq - input.n as base, input.l, pg_notify(${LOGS_CHANNEL}, runs.id)
    )
    insert into log_lines (run_id, seq, at, level, node_id, node_name, vertex, subtask_index, message)
    select bumped.id, bumped.base + t.ord, t.a, t.l, ${node.id}::uuid, ${node.name}, t.v, t.s, t.m
    from bumped,
      rows from (jsonb_to_recordset(bumped.l) as (a timestamptz, l smallint, v text, s int, m text))
      with ordinality as t(a, l, v, s, m, ord)`);
}
