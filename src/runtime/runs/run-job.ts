// The job behind a run, as every restart reads it before it decides: the job's kind (a shell job
// does not start where commands are off), its name for messages, and whether it was deleted.
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { jobs, jobVersions } from '../../db/schema/index.ts';
import type { JobKind } from '../../lib/status.ts';

export interface RunJob {
  kind: JobKind;
  job: string;
  deletedAt: Date | null;
}

/** The job of the run's version (inside the caller's transaction when it holds the run's lock). */
export async function readRunJob(db: Executor, jobVersionId: string): Promise<RunJob | undefined> {
  const [row] = await db
    .select({ kind: jobVersions.kind, job: jobs.name, deletedAt: jobs.deletedAt })
    .from(jobVersions)
    .innerJoin(jobs, eq(jobs.id, jobVersions.jobId))
    .where(eq(jobVersions.id, jobVersionId));
  return row;
}
