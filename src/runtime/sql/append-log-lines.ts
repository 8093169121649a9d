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

/**
 * Appends a batch of one run's log lines in ONE statement. (COPY FROM STDIN was measured against it
 * on PostgreSQL, after the UPDATE that reserves the seqs: no faster with four runs written side by
 * side and a third slower with one; see BENCHMARKS.md.) The UPDATE of the run's `log_seq` takes
 * the run row's lock until the statement commits, so concurrent writers of one run (several nodes)
 * queue behind each other: seqs are gap-free and follow commit order, which is what lets a reader
 * that saw seq N be sure nothing below N can still appear. The lines travel as one JSON parameter
 * (both drivers bind it the same way; drizzle would spread a JS array into many parameters).
 *
 * The same statement wakes the log feed: `pg_notify` in the UPDATE's RETURNING runs once (one run
 * row) and, like any NOTIFY, is delivered when the statement's transaction commits, so a reader woken
 * by it sees the lines. No extra round trip on the write path; a run that does not exist updates no
 * row and notifies nobody.
 */
export async function appendLogLines(
  database: Database,
  runId: string,
  node: { id: string | null; name: string | null },
  lines: readonly LogLineInput[],
): Promise<void> {
  if (lines.length === 0) return;
  const payload = JSON.stringify(
    lines.map((l) => ({
      a: l.at.toISOString(),
      l: l.level,
      v: l.vertex ?? null,
      s: l.subtaskIndex ?? null,
      m: l.message,
    })),
  );
  await database.execute(sql`
    with bumped as (
      update runs set log_seq = log_seq + ${lines.length}::int where id = ${runId} returning log_seq - ${lines.length}::int as base, pg_notify(${LOGS_CHANNEL}, ${runId})
    )
    insert into log_lines (run_id, seq, at, level, node_id, node_name, vertex, subtask_index, message)
    select ${runId}, bumped.base + t.ord, t.a, t.l, ${node.id}::uuid, ${node.name}, t.v, t.s, t.m
    from bumped,
      rows from (jsonb_to_recordset(${payload}::jsonb) as (a timestamptz, l smallint, v text, s int, m text))
      with ordinality as t(a, l, v, s, m, ord)`);
}
