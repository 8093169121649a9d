// The two reads of `log_lines` the log feed makes: a page of one run's lines after a cursor for one
// reader (history, with its filter), and the shared read each wake-up makes for every reader of a
// run (the run's state and its new lines, in one statement).
import { and, asc, eq, gt, lte } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { logLines } from '../../db/schema/index.ts';
import type { RunStatus } from '../../lib/status.ts';
import { logFilterConditions, type FeedLogLine, type LogFilter } from './log-filter.ts';

/** Lines of `runId` with `after < seq (<= through)` matching `filter`, oldest first, at most `limit`. */
export async function readLogLines(
  database: Database,
  runId: string,
  after: number,
  filter: LogFilter,
  options: { limit: number; through?: number },
): Promise<FeedLogLine[]> {
  return database.db
    .select()
    .from(logLines)
    .where(
      and(
        eq(logLines.runId, runId),
        gt(logLines.seq, after),
        options.through === undefined ? undefined : lte(logLines.seq, options.through),
        ...logFilterConditions(filter),
      ),
    )
    .orderBy(asc(logLines.seq))
    .limit(options.limit);
}

/** What one wake-up learns about a run: its status, its last seq, and its lines after a cursor. */
export interface LogTail {
  status: RunStatus;
  /** The seq of the run's last committed line (lines after it are not written yet). */
  logSeq: number;
  /** How long ago the run ended, by the database's clock (null while it has not). */
  endedMsAgo: number | null;
  lines: FeedLogLine[];
}

/** The run's status and log head with its lines come from one statement, hence one snapshot: when
 * the page is short, `lines` ends exactly at `logSeq`. Prepared once (database.query). */
const TAIL_SQL = `select r.status, r.log_seq::float8 as log_seq,
    (extract(epoch from now() - r.ended_at) * 1000)::float8 as ended_ms_ago, l.seq::float8 as seq,
    (extract(epoch from l.at) * 1000)::float8 as at_ms, l.level::int as level, l.node_id::text as node_id,
    l.node_name, l.vertex, l.subtask_index, l.message
  from runs r
  left join lateral (
    select * from log_lines where run_id = r.id and seq > $2 order by seq limit $3
  ) l on true
  where r.id = $1
  order by l.seq`;

interface TailRow {
  status: RunStatus;
  log_seq: number;
  ended_ms_ago: number | null;
  seq: number | null;
  at_ms: number | null;
  level: number | null;
  node_id: string | null;
  node_name: string | null;
  vertex: string | null;
  subtask_index: number | null;
  message: string | null;
}

/** The shared read of a wake-up: undefined when the run does not exist (any more). */
export async function readLogTail(
  database: Database,
  runId: string,
  after: number,
  limit: number,
): Promise<LogTail | undefined> {
  const rows = await database.query<TailRow>(TAIL_SQL, [runId, after, limit]);
  if (rows.length === 0) return undefined;
  const lines: FeedLogLine[] = [];
  for (const row of rows) {
    if (row.seq === null) continue;
    lines.push({
      runId,
      seq: Number(row.seq),
      at: new Date(Number(row.at_ms)),
      level: Number(row.level),
      nodeId: row.node_id,
      nodeName: row.node_name,
      vertex: row.vertex,
      subtaskIndex: row.subtask_index === null ? null : Number(row.subtask_index),
      message: row.message!,
    });
  }
  const run = rows[0]!;
  const endedMsAgo = run.ended_ms_ago === null ? null : Number(run.ended_ms_ago);
  return { status: run.status, logSeq: Number(run.log_seq), endedMsAgo, lines };
}
