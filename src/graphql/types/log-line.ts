import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { logLines } from '../../db/schema/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import { LOG_LEVEL_RANK, LOG_LEVELS, type LogLevel } from '../../lib/status.ts';
import { logFilterConditions, MAX_LOG_SEARCH, type LogFilter } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { requireNode, requireRun } from '../lookups.ts';
import { pageFromRows, pageSize } from '../pagination.ts';
import { LogLevelEnum } from './enums.ts';

export type LogLineRow = typeof logLines.$inferSelect;

const LEVEL_BY_RANK = new Map(LOG_LEVELS.map((l) => [LOG_LEVEL_RANK[l], l]));
export const levelName = (rank: number): LogLevel => LEVEL_BY_RANK.get(rank) ?? 'INFO';

/** Log cursors are the seq of the last line seen, as a decimal string: copy-pasteable, and the same
 * cursor resumes a query page and a subscription. */
export function parseLogCursor(after: string | null | undefined, path = 'after'): number {
  if (after === null || after === undefined || after === '') return 0;
  if (!/^\d{1,15}$/.test(after)) {
    throw new BadInputError(
      `${path} must be a log cursor (a line's seq, e.g. "120"), got ${JSON.stringify(after)}`,
      {
        path,
      },
    );
  }
  return Number(after);
}

/** The filter arguments `logLines` and the `logs` subscription share. */
export interface LogFilterArgs {
  level?: LogLevel | null;
  vertex?: string | null;
  subtaskIndex?: number | null;
  search?: string | null;
}

/** The filter arguments, checked, as the runtime's LogFilter (one definition for SQL and memory). */
export function logFilterFrom(args: LogFilterArgs): LogFilter {
  if (args.search && args.search.length > MAX_LOG_SEARCH) {
    throw new BadInputError(`search must be at most ${MAX_LOG_SEARCH} characters`, { path: 'search' });
  }
  return {
    minLevel: args.level ? LOG_LEVEL_RANK[args.level] : undefined,
    vertex: args.vertex || undefined,
    subtaskIndex: args.subtaskIndex ?? undefined,
    search: args.search || undefined,
  };
}

export const LogLineRef = builder.objectRef<LogLineRow>('LogLine').implement({
  description: 'One line of a run log. seq is gap-free per run and follows commit order.',
  fields: (t) => ({
    seq: t.float({
      description: 'Position in the run log: 1, 2, 3, ... with no gaps.',
      resolve: (l) => Number(l.seq),
    }),
    at: t.field({ type: 'DateTime', resolve: (l) => l.at }),
    level: t.field({ type: LogLevelEnum, resolve: (l) => levelName(l.level) }),
    message: t.exposeString('message'),
    vertex: t.exposeString('vertex', { nullable: true }),
    subtaskIndex: t.exposeInt('subtaskIndex', { nullable: true }),
    node: t.exposeString('nodeName', { nullable: true, description: 'Name of the node that produced it.' }),
  }),
});

builder.queryFields((t) => ({
  logLines: t.connection({
    type: LogLineRef,
    description:
      "A page of a run's log lines, oldest first: `first` lines after the cursor `after` (from the first line without one), or the `last` lines before the cursor `before` (the newest without one).",
    args: {
      runId: t.arg.id({ required: true }),
      level: t.arg({ type: LogLevelEnum, description: 'Only lines at or above this level.' }),
      vertex: t.arg.string({ description: 'Only lines of this vertex.' }),
      subtaskIndex: t.arg.int({ description: 'Only lines of this subtask index.' }),
      search: t.arg.string({ description: 'Only lines containing this text (case-insensitive).' }),
    },
    resolve: async (_root, args, ctx) => {
      const run = await requireRun(args.runId, ctx, 'runId');
      const filter = logFilterFrom(args);
      if (args.last != null || args.before != null) {
        if (args.first != null || args.after != null) {
          throw new BadInputError('give first/after or last/before, not both', { path: 'last' });
        }
        // The newest lines (before the cursor), read newest first by the (run_id, seq) key and turned.
        const limit = pageSize(args.last, 100, 'last');
        const before = args.before == null ? undefined : parseLogCursor(args.before, 'before');
        const rows = await ctx.database.db
          .select()
          .from(logLines)
          .where(
            and(
              eq(logLines.runId, run.id),
              before === undefined ? undefined : lt(logLines.seq, before),
              ...logFilterConditions(filter),
            ),
          )
          .orderBy(desc(logLines.seq))
          .limit(limit + 1);
        const page = pageFromRows(rows.slice(0, limit).reverse(), limit, (l) => String(l.seq));
        page.pageInfo.hasPreviousPage = rows.length > limit;
        page.pageInfo.hasNextPage = before !== undefined;
        return page;
      }
      const limit = pageSize(args.first, 100);
      const after = parseLogCursor(args.after);
      const rows = await ctx.database.db
        .select()
        .from(logLines)
        .where(and(eq(logLines.runId, run.id), gt(logLines.seq, after), ...logFilterConditions(filter)))
        .orderBy(asc(logLines.seq))
        .limit(limit + 1);
      return pageFromRows(rows, limit, (l) => String(l.seq), after > 0);
    },
  }),
}));

/** How many of the newest runs recentLogLines reads (each through the run's (run_id, seq) key). */
const RECENT_RUNS = 20;

/**
 * The newest lines of the newest runs, newest first, optionally only those a node produced: what a
 * process log looks like from outside (Flink's JobManager and TaskManager log routes show it). One
 * statement: a lateral join reads the tail of each of the last RECENT_RUNS runs by its primary key.
 */
async function recentLogLines(
  ctx: GraphQLContext,
  limit: number,
  nodeId: string | undefined,
): Promise<LogLineRow[]> {
  const runsOf = nodeId
    ? sql`select distinct s.run_id as id, r.num from subtasks s join runs r on r.id = s.run_id
          where s.node_id = ${nodeId}::uuid order by r.num desc limit ${RECENT_RUNS}`
    : sql`select r.id, r.num from runs r order by r.num desc limit ${RECENT_RUNS}`;
  const nodeFilter = nodeId ? sql`and l.node_id = ${nodeId}::uuid` : sql``;
  const rows = await ctx.database.execute<Record<string, unknown>>(sql`
    select l.run_id, l.seq::float8 as seq, (extract(epoch from l.at) * 1000)::float8 as at, l.level,
      l.node_id, l.node_name, l.vertex, l.subtask_index, l.message
    from (${runsOf}) r
    cross join lateral (
      select * from log_lines l where l.run_id = r.id ${nodeFilter} order by l.seq desc limit ${limit}
    ) l
    order by l.at desc, l.seq desc
    limit ${limit}`);
  return rows.map((r) => ({
    runId: r.run_id as string,
    seq: Number(r.seq),
    at: new Date(Number(r.at)),
    level: Number(r.level),
    nodeId: (r.node_id as string | null) ?? null,
    nodeName: (r.node_name as string | null) ?? null,
    vertex: (r.vertex as string | null) ?? null,
    subtaskIndex: r.subtask_index === null ? null : Number(r.subtask_index),
    message: r.message as string,
  }));
}

builder.queryFields((t) => ({
  recentLogLines: t.field({
    type: [LogLineRef],
    description:
      'The newest log lines of the newest runs, newest first (what a process log shows). Max 1000.',
    args: {
      first: t.arg.int({ description: 'How many lines (default 100, at most 1000).' }),
      node: t.arg.id({ description: 'Only the lines this node (id) produced.' }),
    },
    resolve: async (_root, args, ctx) => {
      const node = args.node ? await requireNode(String(args.node), ctx) : undefined;
      return recentLogLines(ctx, pageSize(args.first, 100), node?.id);
    },
  }),
}));
