// Starting a run: the run row, its subtasks and its assignments (what slots run), in one transaction.
import { and, asc, eq } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import {
  assignments,
  auditEvents,
  jobs,
  jobVersions,
  runs,
  runStatusHistory,
  subtasks,
  vertices,
} from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newRunId } from '../../lib/ids.ts';
import { RunStatus, type RunTrigger } from '../../lib/status.ts';
import { notifyCoordinators } from '../channels.ts';
import { emitEvent } from '../events.ts';
import { checkShellStart } from '../jobs/job-actor.ts';
import type { RunRow } from '../../db/schema/index.ts';

export interface StartRunOptions {
  jobId: string;
  trigger: RunTrigger;
  actor: string;
  /** Run this version instead of the job's current one (restarts keep their version). */
  jobVersionId?: string;
  previousRunId?: string;
  restoredFromId?: string;
  parallelism?: number;
  attempt?: number;
  /** Not placed before this time (a start with a delay). */
  notBefore?: Date;
  /** Config `commandsEnabled`: when false, a shell job does not start. Required, so that no way in
   * (a resolver, a dialect route, the scheduler) can start a shell job by leaving it out. */
  commandsEnabled: boolean;
}

/** The assignments of a run: a pipeline has one per parallel index (the chain's subtasks with that
 * index run together in one slot); a command or a steps DAG runs as one assignment. */
async function createAssignments(
  tx: Tx,
  run: RunRow,
  kind: string,
  vertexRows: { id: string }[],
  notBefore: Date | undefined,
) {
  const count = kind === 'PIPELINE' ? run.parallelism : 1;
  const rows = await tx
    .insert(assignments)
    .values(
      Array.from({ length: count }, (_, index) => ({
        runId: run.id,
        name: kind === 'PIPELINE' ? `pipeline-${index}` : kind.toLowerCase(),
        index,
        attempt: run.attempt,
        notBefore: notBefore ?? null,
      })),
    )
    .returning({ id: assignments.id, index: assignments.index });
  await tx.insert(subtasks).values(
    vertexRows.flatMap((v) =>
      Array.from({ length: kind === 'PIPELINE' ? run.parallelism : 1 }, (_, index) => ({
        runId: run.id,
        vertexId: v.id,
        index,
        attempt: run.attempt,
        assignmentId: (rows[index] ?? rows[0]!).id,
      })),
    ),
  );
}

/** Starts a run. Pass `within` to create it inside a transaction the caller holds (the coordinator's
 * fenced ones); the wake-up then goes out when that transaction commits. */
export async function startRun(database: Database, options: StartRunOptions, within?: Tx): Promise<RunRow> {
  const create = async (tx: Tx) => {
    const [job] = await tx.select().from(jobs).where(eq(jobs.id, options.jobId));
    if (!job) throw new NotFoundError('job', options.jobId);
    // A restart of a run whose job was deleted since: the client's mistake, not ours.
    if (job.deletedAt)
      throw new ConflictError(`job ${JSON.stringify(job.name)} was deleted; it starts no more runs`);
    const [version] = options.jobVersionId
      ? await tx.select().from(jobVersions).where(eq(jobVersions.id, options.jobVersionId))
      : await tx
          .select()
          .from(jobVersions)
          .where(and(eq(jobVersions.jobId, job.id), eq(jobVersions.version, job.currentVersion)));
    if (!version) throw new Error(`job ${job.name} has no version ${job.currentVersion}`);
    checkShellStart(version.kind, options.commandsEnabled, job.name);
    const vertexRows = await tx
      .select({ id: vertices.id })
      .from(vertices)
      .where(eq(vertices.jobVersionId, version.id))
      .orderBy(asc(vertices.position));
    const [row] = await tx
      .insert(runs)
      .values({
        id: newRunId(),
        jobId: job.id,
        jobVersionId: version.id,
        trigger: options.trigger,
        parallelism: options.parallelism ?? version.parallelism,
        attempt: options.attempt ?? 0,
        previousRunId: options.previousRunId,
        restoredFromId: options.restoredFromId,
      })
      .returning();
    await tx.insert(runStatusHistory).values({
      runId: row!.id,
      toStatus: RunStatus.CREATED,
      cause: `started by ${options.actor} (${options.trigger})`,
    });
    await createAssignments(tx, row!, version.kind, vertexRows, options.notBefore);
    await tx
      .insert(auditEvents)
      .values({ actor: options.actor, action: 'run:start', target: row!.id, details: { job: job.name } });
    await emitEvent(
      database,
      { type: 'run:created', runId: row!.id, jobId: job.id, payload: { trigger: options.trigger } },
      tx,
    );
    return row!;
  };
  if (within) {
    const run = await create(within);
    await notifyCoordinators(database, run.id, within);
    return run;
  }
  const run = await database.db.transaction(create);
  await notifyCoordinators(database, run.id);
  return run;
}
