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
 * Appends a batch of one run's log lines. On PostgreSQL by COPY (copyLogLines, below); on PGlite,
 * which has no COPY FROM STDIN, in ONE statement. The UPDATE of the run's `log_seq` takes
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
  if (database.rawTransaction) return copyLogLines(database, runId, node, lines);
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

const BUMP_SEQ = `update runs set log_seq = log_seq + $2::int where id = $1
  returning log_seq - $2::int as base, pg_notify($3, $1)`;
const COPY_LINES =
  'copy log_lines (run_id, seq, at, level, node_id, node_name, vertex, subtask_index, message) from stdin';

/**
 * PostgreSQL: the batch as COPY text in one transaction, after the UPDATE that reserves its seq range
 * and notifies (the same lock and commit-order rules as the single statement above: the run row stays
 * locked until COMMIT, the NOTIFY is delivered at COMMIT). COPY parses plain text where the statement
 * parses one JSON document into a record set; see BENCHMARKS.md for what it gains. A run that does
 * not exist reserves nothing and writes nothing.
 */
async function copyLogLines(
  database: Database,
  runId: string,
  node: { id: string | null; name: string | null },
  lines: readonly LogLineInput[],
): Promise<void> {
  await database.rawTransaction!(async (tx) => {
    const [row] = await tx.query<{ base: string }>(BUMP_SEQ, [runId, lines.length, LOGS_CHANNEL]);
    if (!row) return;
    const base = Number(row.base);
    const prefix = `${runId}\t`;
    const nodePart = `${copyText(node.id)}\t${copyText(node.name)}\t`;
    let data = '';
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      data += `${prefix}${base + i + 1}\t${l.at.toISOString()}\t${l.level}\t${nodePart}${copyText(l.vertex)}\t${l.subtaskIndex ?? '\\N'}\t${copyText(l.message)}\n`;
    }
    await tx.copyFrom(COPY_LINES, data);
  });
}

/** A value in COPY's text format: \N for null; backslash, newline, carriage return and tab escaped. */
function copyText(value: string | null | undefined): string {
  if (value == null) return '\\N';
  return /[\\\n\r\t]/.test(value)
    ? value.replace(/[\\\n\r\t]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
      )
    : value;
}
