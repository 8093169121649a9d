// Stop, cancel and restart: each one transaction under the run's lock.
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, checkpoints, runs } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import {
  CheckpointStatus,
  IN_FLIGHT_RUN_STATUSES,
  isIn,
  isTerminalRunStatus,
  RETRYABLE_RUN_STATUSES,
  RunStatus,
} from '../../lib/status.ts';
import { checkShellStart } from '../jobs/job-actor.ts';
import { reopenForNewAttempt } from './reopen-attempt.ts';
import { readRunJob } from './run-job.ts';
import { cancelLiveAssignments, cancelUnplaced, settleRun } from './settle.ts';
import { notifyCoordinators, notifyNodesOfRuns } from '../channels.ts';
import { startRun } from './start-run.ts';
import { lockRun, transitionRun, type RunRow } from './transition-run.ts';

export type StopMode = 'STOP' | 'DRAIN' | 'CANCEL' | 'SUSPEND';

/**
 * Asks a run to end. CANCEL kills its subtasks at once; STOP and DRAIN let sources stop and
 * in-flight records reach the sinks (the run ends CANCELED, or FINISHED for DRAIN); SUSPEND is the
 * end of a stop-with-savepoint. Unplaced assignments end immediately.
 */
export async function requestStop(
  database: Database,
  runId: string,
  mode: StopMode,
  actor: string,
): Promise<RunRow> {
  const run = await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw new NotFoundError('run', runId);
    if (isTerminalRunStatus(run.status)) {
      throw new ConflictError(`run ${runId} has already ended (${run.status})`, {
        details: { status: run.status },
      });
    }
    // A cancel may follow a graceful stop (to hurry it); nothing weaker replaces a cancel.
    const stopRequested = run.stopRequested === 'CANCEL' ? 'CANCEL' : mode;
    const [updated] = await tx.update(runs).set({ stopRequested }).where(eq(runs.id, runId)).returning();
    let current = updated!;
    // A cancel kills what runs; a graceful stop lets it finish its in-flight records.
    if (mode === 'CANCEL') await cancelLiveAssignments(tx, runId);
    else await cancelUnplaced(tx, runId);
    if (isIn(IN_FLIGHT_RUN_STATUSES, current.status)) {
      const moved = await transitionRun(
        database,
        tx,
        current,
        RunStatus.CANCELLING,
        `${mode.toLowerCase()} requested by ${actor}`,
      );
      if (moved.ok) current = moved.run;
    }
    await tx.insert(auditEvents).values({ actor, action: `run:${mode.toLowerCase()}`, target: runId });
    await settleRun(database, tx, current);
    return (await lockRun(tx, runId))!;
  });
  await notifyNodesOfRuns(database, [runId]);
  return run;
}

/** The newest completed checkpoint or savepoint of a run, to restore from. */
export async function latestCompletedCheckpoint(database: Database, runId: string) {
  const [row] = await database.db
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.runId, runId), eq(checkpoints.status, CheckpointStatus.COMPLETED)))
    .orderBy(desc(checkpoints.number))
    .limit(1);
  return row;
}

/** WHOLE: a new run of the same job version (from the old run's latest completed checkpoint, if
 * any); a run still going is canceled first. */
export async function restartWhole(
  database: Database,
  runId: string,
  actor: string,
  policy: { commandsEnabled: boolean },
): Promise<RunRow> {
  const [old] = await database.db.select().from(runs).where(eq(runs.id, runId));
  if (!old) throw new NotFoundError('run', runId);
  const version = await readRunJob(database.db, old.jobVersionId);
  // Refused before the old run is canceled: a refused restart changes nothing.
  if (version?.deletedAt) {
    throw new ConflictError(`job ${JSON.stringify(version.job)} was deleted; it starts no more runs`);
  }
  if (version) checkShellStart(version.kind, policy.commandsEnabled, version.job);
  if (!isTerminalRunStatus(old.status)) await requestStop(database, runId, 'CANCEL', actor);
  const checkpoint = await latestCompletedCheckpoint(database, runId);
  return startRun(database, {
    jobId: old.jobId,
    jobVersionId: old.jobVersionId,
    trigger: 'RESTART',
    actor,
    previousRunId: old.id,
    restoredFromId: checkpoint?.id,
    parallelism: old.parallelism,
    commandsEnabled: policy.commandsEnabled,
  });
}

/** FAILED: the same run runs again, but only what failed or never ran. The one transition out of a
 * terminal status jobgate allows (FAILED → RESTARTING), recorded like any other. */
export async function restartFailed(
  database: Database,
  runId: string,
  actor: string,
  policy: { commandsEnabled: boolean },
): Promise<RunRow> {
  const run = await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw new NotFoundError('run', runId);
    const version = await readRunJob(tx, run.jobVersionId);
    if (version) checkShellStart(version.kind, policy.commandsEnabled, version.job);
    if (!isIn(RETRYABLE_RUN_STATUSES, run.status)) {
      throw new ConflictError(
        `restart FAILED needs a FAILED or CANCELED run; run ${runId} is ${run.status}`,
        {
          details: { status: run.status },
        },
      );
    }
    const attempt = run.attempt + 1;
    const reopen = await reopenForNewAttempt(database, tx, run, {
      cause: `restart of failed parts requested by ${actor}`,
      retryOfEnded: true,
    });
    if (reopen.reopened === 0) throw new ConflictError(`run ${runId} has nothing that failed or did not run`);
    await tx
      .insert(auditEvents)
      .values({ actor, action: 'run:restart-failed', target: runId, details: { attempt } });
    return reopen.run;
  });
  await notifyCoordinators(database, runId);
  return run;
}
