// Deciding a run's status from its assignments. Every decision happens in one transaction holding
// the run's row lock, so nodes that finish at the same moment cannot both decide.
import { eq } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { assignments, jobVersions, runExceptions, subtasks } from '../../db/schema/index.ts';
import type { RestartStrategy } from '../jobs/save-job.ts';
import {
  isTerminalSubtaskStatus,
  RunStatus,
  SubtaskStatus,
  type TerminalSubtaskStatus,
} from '../../lib/status.ts';
import { emitEvent } from '../events.ts';
import { reopenForNewAttempt } from './reopen-attempt.ts';
import { transitionAssignments, transitionSubtasks } from './transition-assignments.ts';
import { lockRun, transitionRun, type RunRow } from './transition-run.ts';

export interface AssignmentOutcome {
  status: TerminalSubtaskStatus;
  /** Why it failed; recorded as a run exception. */
  failure?: { message: string; vertex?: string | null; subtaskIndex?: number | null; stack?: string };
  exitCode?: number | null;
  nodeId?: string | null;
  /** The attempt the reporter ran. A report about an attempt that is no longer the assignment's
   * (it was restarted elsewhere after this node was declared lost) is ignored: fencing. */
  attempt?: number;
}

/** Records that an assignment ended, and settles its run if that was the last one. Pass `within`
 * to do it inside a transaction the caller holds (the coordinator's fenced ones). */
export async function settleAssignment(
  database: Database,
  assignmentId: string,
  outcome: AssignmentOutcome,
  within?: Tx,
): Promise<void> {
  const settle = async (tx: Tx) => {
    const [assignment] = await tx.select().from(assignments).where(eq(assignments.id, assignmentId));
    if (!assignment) return;
    const run = await lockRun(tx, assignment.runId);
    if (!run) return;
    if (isTerminalSubtaskStatus(assignment.status)) return; // settled already (e.g. node lost, then it reported)
    if (
      outcome.attempt !== undefined &&
      (assignment.attempt !== outcome.attempt || assignment.nodeId !== outcome.nodeId)
    )
      return;
    const now = new Date();
    const ended = await transitionAssignments(tx, eq(assignments.id, assignmentId), outcome.status, {
      endedAt: now,
    });
    if (ended.length === 0) return;
    // Subtasks that reported their own end keep it; the rest end with the assignment.
    await transitionSubtasks(
      tx,
      eq(subtasks.assignmentId, assignmentId),
      outcome.status,
      { endedAt: now },
      {
        attempt: {
          endedAt: now,
          exitCode: outcome.exitCode ?? null,
          failure: outcome.failure?.message ?? null,
        },
      },
    );
    let exceptionId: number | undefined;
    if (outcome.failure) {
      const [row] = await tx
        .insert(runExceptions)
        .values({
          runId: run.id,
          message: outcome.failure.message,
          stack: outcome.failure.stack,
          vertexName: outcome.failure.vertex ?? null,
          subtaskIndex: outcome.failure.subtaskIndex ?? null,
          nodeId: outcome.nodeId ?? null,
        })
        .returning({ id: runExceptions.id });
      exceptionId = row?.id;
      await emitEvent(
        database,
        {
          type: 'run:exception',
          runId: run.id,
          jobId: run.jobId,
          nodeId: outcome.nodeId ?? undefined,
          payload: {
            message: outcome.failure.message,
            vertex: outcome.failure.vertex ?? null,
            subtaskIndex: outcome.failure.subtaskIndex ?? null,
          },
        },
        tx,
      );
    }
    const failed = outcome.status === SubtaskStatus.FAILED;
    if (failed && (await restartAssignment(database, tx, run, assignment, outcome))) return;
    // The first failure that stands (no restart, the run not failing already) is the one that ends
    // the run: it is the run's global exception.
    if (failed && exceptionId !== undefined && run.status !== RunStatus.FAILING) {
      await tx.update(runExceptions).set({ global: true }).where(eq(runExceptions.id, exceptionId));
    }
    await settleRun(database, tx, run, failed ? (outcome.failure?.message ?? 'a subtask failed') : undefined);
  };
  await (within ? settle(within) : database.db.transaction(settle));
}

/** The delay before restart attempt `attempt` (1-based) under a strategy. */
export function restartDelayMs(strategy: RestartStrategy, attempt: number): number {
  if (strategy.type === 'exponential-delay')
    return Math.min(strategy.delayMs * 2 ** (attempt - 1), strategy.maxDelayMs);
  return strategy.delayMs;
}

/**
 * Under the job's restart strategy, a failed assignment runs again (after the strategy's delay,
 * anywhere a slot is free) instead of failing the run; the run is RESTARTING meanwhile. Pipeline
 * sources resume from the sinks' commit marks or the latest completed checkpoint. Returns false when
 * no attempt is left (or the run is being stopped), so the failure stands.
 *
 * One failure event is one attempt, however many assignments it took down: when a node is lost,
 * its assignments fail one after another, and only the first starts a new attempt; the others, still
 * of the earlier attempt, join the restart already under way. A failure of an assignment of the
 * current attempt is a new event and counts.
 */
async function restartAssignment(
  database: Database,
  tx: Tx,
  run: RunRow,
  assignment: { id: string; attempt: number },
  outcome: AssignmentOutcome,
): Promise<boolean> {
  if (run.stopRequested || run.status === RunStatus.FAILING) return false;
  const [version] = await tx
    .select({ strategy: jobVersions.restartStrategy })
    .from(jobVersions)
    .where(eq(jobVersions.id, run.jobVersionId));
  const strategy = version?.strategy as RestartStrategy | undefined;
  if (strategy && run.status === RunStatus.RESTARTING && assignment.attempt < run.attempt) {
    await reopenForNewAttempt(database, tx, run, {
      assignmentId: assignment.id,
      notBefore: new Date(Date.now() + restartDelayMs(strategy, run.attempt)),
      cause: run.statusCause ?? 'restarting',
      joinCurrentAttempt: true,
    });
    return true;
  }
  if (!strategy || strategy.type === 'none' || run.attempt >= strategy.attempts) return false;
  const attempt = run.attempt + 1;
  const delay = restartDelayMs(strategy, attempt);
  await reopenForNewAttempt(database, tx, run, {
    assignmentId: assignment.id,
    notBefore: new Date(Date.now() + delay),
    cause: `restart ${attempt} of ${strategy.attempts} in ${delay} ms after: ${outcome.failure?.message ?? 'a failure'}`,
  });
  return true;
}

/**
 * Brings the run's status in line with its assignments. A failure while others still run makes the
 * run FAILING and asks the rest to cancel; when all have ended the run gets its final status.
 */
export async function settleRun(database: Database, tx: Tx, run: RunRow, failure?: string): Promise<void> {
  const rows = await tx
    .select({ status: assignments.status })
    .from(assignments)
    .where(eq(assignments.runId, run.id));
  const live = rows.filter((a) => !isTerminalSubtaskStatus(a.status));
  const failed = rows.some((a) => a.status === SubtaskStatus.FAILED);
  let current = run;
  if (failed && live.length > 0) {
    if (current.status !== RunStatus.FAILING) {
      const moved = await transitionRun(
        database,
        tx,
        current,
        RunStatus.FAILING,
        failure ?? 'a subtask failed',
      );
      if (moved.ok) current = moved.run;
    }
    await cancelLiveAssignments(tx, run.id);
    return;
  }
  if (live.length > 0) return;
  const final = finalStatus(current, failed);
  const cause = failed
    ? (failure ?? 'a subtask failed')
    : current.stopRequested
      ? `stopped (${current.stopRequested.toLowerCase()})`
      : 'all subtasks finished';
  if (current.status === RunStatus.CREATED || current.status === RunStatus.RESTARTING) {
    // Never got to RUNNING (e.g. canceled before placement): pass through the allowed path.
    if (final === RunStatus.FINISHED || final === RunStatus.SUSPENDED) {
      const r = await transitionRun(database, tx, current, RunStatus.RUNNING, 'started');
      if (r.ok) current = r.run;
    }
  }
  if (final === RunStatus.FAILED && current.status === RunStatus.RUNNING) {
    const r = await transitionRun(database, tx, current, RunStatus.FAILING, cause);
    if (r.ok) current = r.run;
  }
  if (
    (final === RunStatus.CANCELED || final === RunStatus.SUSPENDED) &&
    current.status === RunStatus.RUNNING
  ) {
    const r = await transitionRun(database, tx, current, RunStatus.CANCELLING, cause);
    if (r.ok) current = r.run;
  }
  await transitionRun(database, tx, current, final, cause);
}

function finalStatus(run: RunRow, failed: boolean): RunStatus {
  if (failed) return RunStatus.FAILED;
  switch (run.stopRequested) {
    case 'CANCEL':
    case 'STOP':
      return RunStatus.CANCELED;
    case 'SUSPEND':
      return RunStatus.SUSPENDED;
    default:
      return RunStatus.FINISHED;
  }
}

/** Ends the run's assignments (and their subtasks) that no node has taken yet. */
export async function cancelUnplaced(tx: Tx, runId: string): Promise<void> {
  const now = new Date();
  const unplaced = { from: [SubtaskStatus.CREATED] };
  await transitionAssignments(
    tx,
    eq(assignments.runId, runId),
    SubtaskStatus.CANCELED,
    { endedAt: now },
    unplaced,
  );
  await transitionSubtasks(tx, eq(subtasks.runId, runId), SubtaskStatus.CANCELED, { endedAt: now }, unplaced);
}

/** Asks every assignment of the run that has not ended to stop: unplaced ones end at once, placed
 * ones go CANCELING and their node kills them. */
export async function cancelLiveAssignments(tx: Tx, runId: string): Promise<void> {
  await cancelUnplaced(tx, runId);
  await transitionAssignments(tx, eq(assignments.runId, runId), SubtaskStatus.CANCELING);
}
