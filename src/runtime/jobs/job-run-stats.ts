// How jobs' runs have ended: counts and the latest end of each outcome, the numbers Dkron shows
// on a job (success_count, error_count, last_success, last_error). One aggregate for any number of
// jobs, so a list of jobs costs one statement, not one per job.
import { and, count, gt, inArray, max, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { runs } from '../../db/schema/index.ts';
import { RunStatus } from '../../lib/status.ts';

export interface JobRunStats {
  finished: number;
  failed: number;
  lastFinishedAt: Date | null;
  lastFailedAt: Date | null;
}

const NO_RUNS: JobRunStats = Object.freeze({
  finished: 0,
  failed: 0,
  lastFinishedAt: null,
  lastFailedAt: null,
});

const toDate = (value: unknown): Date | null =>
  value == null ? null : value instanceof Date ? value : new Date(String(value));

/** Each job's ended runs, counting only runs created after `since` when it is given. Every job
 * asked for has an entry (zeros when it has no runs). */
export async function jobRunStats(
  database: Database,
  jobIds: readonly string[],
  since?: Date | null,
): Promise<Map<string, JobRunStats>> {
  const out = new Map<string, JobRunStats>();
  if (jobIds.length === 0) return out;
  const isFinished = sql`${runs.status} = ${RunStatus.FINISHED}`;
  const isFailed = sql`${runs.status} = ${RunStatus.FAILED}`;
  const rows = await database.db
    .select({
      jobId: runs.jobId,
      finished: count(sql`case when ${isFinished} then 1 end`),
      failed: count(sql`case when ${isFailed} then 1 end`),
      lastFinishedAt: max(sql`case when ${isFinished} then ${runs.endedAt} end`),
      lastFailedAt: max(sql`case when ${isFailed} then ${runs.endedAt} end`),
    })
    .from(runs)
    .where(and(inArray(runs.jobId, [...jobIds]), since ? gt(runs.createdAt, since) : undefined))
    .groupBy(runs.jobId);
  for (const row of rows) {
    out.set(row.jobId, {
      finished: Number(row.finished),
      failed: Number(row.failed),
      lastFinishedAt: toDate(row.lastFinishedAt),
      lastFailedAt: toDate(row.lastFailedAt),
    });
  }
  for (const id of jobIds) if (!out.has(id)) out.set(id, { ...NO_RUNS });
  return out;
}
