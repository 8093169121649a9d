import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { runs } from '../../db/schema/index.ts';
import type { RunStatus } from '../../lib/status.ts';
import type { GraphQLContext } from '../context.ts';
import type { RunRow } from '../../db/schema/index.ts';
import { decodeKeyCursor, encodeKeyCursor, pageFromRows, pageSize, type Page } from '../pagination.ts';

/** A page of runs, newest first, keyed by insertion order so a cursor stays valid as runs arrive. */
export async function runsPage(
  ctx: GraphQLContext,
  args: { jobId?: string; status?: RunStatus | null; first?: number | null; after?: string | null },
): Promise<Page<RunRow>> {
  const limit = pageSize(args.first, 20);
  const after = decodeKeyCursor<number>(args.after, 'number');
  const filters: (SQL | undefined)[] = [
    args.jobId ? eq(runs.jobId, args.jobId) : undefined,
    args.status ? eq(runs.status, args.status) : undefined,
    after === undefined ? undefined : lt(runs.num, after),
  ];
  const rows = await ctx.database.db
    .select()
    .from(runs)
    .where(and(...filters))
    .orderBy(desc(runs.num))
    .limit(limit + 1);
  return pageFromRows(rows, limit, (r) => encodeKeyCursor(r.num), after !== undefined);
}
