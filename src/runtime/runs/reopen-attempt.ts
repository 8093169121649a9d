// A new attempt of a run: what failed or never ran goes back to CREATED for placement, under the
// next attempt number, and the run is RESTARTING. Used by the restart strategy (one failed
// assignment, settle.ts) and by restartJob mode FAILED (the whole ended run, control.ts).
import { and, eq, inArray } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { assignments, runs, subtaskAttempts, subtasks } from '../../db/schema/index.ts';
import {
  REOPENABLE_SUBTASK_STATUSES,
  RERUNNABLE_SUBTASK_STATUSES,
  RunStatus,
  SubtaskStatus,
} from '../../lib/status.ts';
import { emitEvent } from '../events.ts';
import { transitionAssignments, transitionSubtasks } from './transition-assignments.ts';
import { transitionRun, type RunRow } from './transition-run.ts';

export interface ReopenOptions {
  /** One assignment (the restart strategy); without it, every assignment with a part to redo. */
  assignmentId?: string;
  /** Only the subtasks of these vertices, whatever they ended as, FINISHED too (a re-run of named
   * steps); without it, every FAILED or CANCELED part. */
  vertexIds?: readonly string[];
  /** Not placed before this time (the restart strategy's delay). */
  notBefore?: Date | null;
  /** The run's status history cause. */
  cause: string;
  /** The run has ended (FAILED or CANCELED) and is retried in place. */
  retryOfEnded?: boolean;
  /** The run is RESTARTING into its current attempt already, and these parts join that attempt
   * instead of starting another (a failure of an earlier attempt, found after the restart began). */
  joinCurrentAttempt?: boolean;
}

/**
 * Reopens the run's FAILED and CANCELED parts (FINISHED ones are kept) as attempt `run.attempt + 1`
 * and moves the run to RESTARTING. Returns how many assignments were reopened (0: nothing to redo,
 * nothing changed; the caller decides whether that is an error) and the run as it is now.
 */
export async function reopenForNewAttempt(
  database: Database,
  tx: Tx,
  run: RunRow,
  options: ReopenOptions,
): Promise<{ reopened: number; run: RunRow }> {
  const attempt = options.joinCurrentAttempt ? run.attempt : run.attempt + 1;
  const owner = options.assignmentId
    ? eq(subtasks.assignmentId, options.assignmentId)
    : eq(subtasks.runId, run.id);
  const scope = options.vertexIds ? and(owner, inArray(subtasks.vertexId, [...options.vertexIds])) : owner;
  const reopened = await transitionSubtasks(
    tx,
    scope!,
    SubtaskStatus.CREATED,
    { attempt, nodeId: null, startedAt: null, endedAt: null },
    {
      from: options.vertexIds ? RERUNNABLE_SUBTASK_STATUSES : REOPENABLE_SUBTASK_STATUSES,
      attempt: false,
    },
  );
  const assignmentIds = new Set(
    reopened.map((s) => s.assignmentId).filter((id): id is string => id !== null),
  );
  if (options.assignmentId) assignmentIds.add(options.assignmentId);
  if (assignmentIds.size === 0) return { reopened: 0, run };
  await transitionAssignments(
    tx,
    inArray(assignments.id, [...assignmentIds]),
    SubtaskStatus.CREATED,
    {
      attempt,
      nodeId: null,
      startedAt: null,
      endedAt: null,
      waitingReason: null,
      notBefore: options.notBefore ?? null,
    },
    { from: options.vertexIds ? RERUNNABLE_SUBTASK_STATUSES : REOPENABLE_SUBTASK_STATUSES },
  );
  // A retried run's attempt numbers may have been used by an earlier retry of other parts.
  if (reopened.length) {
    await tx.delete(subtaskAttempts).where(
      and(
        inArray(
          subtaskAttempts.subtaskId,
          reopened.map((s) => s.id),
        ),
        eq(subtaskAttempts.attempt, attempt),
      ),
    );
  }
  if (options.joinCurrentAttempt) return { reopened: assignmentIds.size, run };
  const [updated] = await tx
    .update(runs)
    .set({ attempt, stopRequested: null })
    .where(eq(runs.id, run.id))
    .returning();
  const moved = await transitionRun(database, tx, updated!, RunStatus.RESTARTING, options.cause, {
    allowRetryOfFailed: options.retryOfEnded,
  });
  await emitEvent(
    database,
    {
      type: 'run:restarted',
      runId: run.id,
      jobId: run.jobId,
      payload: { attempt, cause: options.cause, notBefore: options.notBefore?.toISOString() ?? null },
    },
    tx,
  );
  return { reopened: assignmentIds.size, run: moved.ok ? moved.run : updated! };
}
