// How a job's runs have ended: counts and the latest end of each outcome, the numbers Dkron shows
// on a job (success_count, error_count, last_success, last_error). Read with one aggregate.
import { and, count, eq, gt, max, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { runs } from '../../db/schema/index.ts';
import { RunStatus } from '../../lib/status.ts';

export interface JobRunStats {
  finished: number;
  failed: number;
  lastFinishedAt: Date | null;
  lastFailedAt: Date | null;
}

const toDate = (value: unknown): Date | null =>
  value == null ? null : value instanceof Date ? value : new Date(String(value));

/** The job's ended runs, counting only runs created after `since` when it is given. */
export async function jobRunStats(
  database: Database,
  jobId: string,
  since?: Date | null,
): Promise<JobRunStats> {
  const where = and(eq(runs.jobId, jobId), since ? gt(runs.createdAt, since) : undefined);
  const isFinished = sql`${runs.status} = ${RunStatus.FINISHED}`;
  const isFailed = sql`${runs.status} = ${RunStatus.FAILED}`;
  const [row] = await database.db
    .select({
      finished: count(sql`case when ${isFinished} then 1 end`),
      failed: count(sql`case when ${isFailed} then 1 end`),
      lastFinishedAt: max(sql`case when ${isFinished} then ${runs.endedAt} end`),
      lastFailedAt: max(sql`case when ${isFailed} then ${runs.endedAt} end`),
    })
    .from(runs)
    .where(where);
  return {
    finished: Number(row?.finished ?? 0),
    failed: Number(row?.failed ?? 0),
    lastFinishedAt: toDate(row?.lastFinishedAt),
    lastFailedAt: toDate(row?.lastFailedAt),
  };
}
