// Deciding a run's status from its assignments. Every decision happens in one transaction holding
// the run's row lock, so nodes that finish at the same moment cannot both decide.
import { and, eq, inArray, notInArray } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import {
  assignments,
  jobVersions,
  runExceptions,
  runs,
  subtaskAttempts,
  subtasks,
} from '../../db/schema/index.ts';
import type { RestartStrategy } from '../jobs/save-job.ts';
import { TERMINAL_SUBTASK_STATUSES, type RunStatus, type SubtaskStatus } from '../../lib/status.ts';
import { lockRun, transitionRun, type RunRow } from './transition-run.ts';

export interface AssignmentOutcome {
  status: Extract<SubtaskStatus, 'FINISHED' | 'FAILED' | 'CANCELED'>;
  /** Why it failed; recorded as a run exception. */
  failure?: { message: string; vertex?: string | null; subtaskIndex?: number | null; stack?: string };
  exitCode?: number | null;
  nodeId?: string | null;
  /** The attempt the reporter ran. A report about an attempt that is no longer the assignment's
   * (it was restarted elsewhere after this node was declared lost) is ignored: fencing. */
  attempt?: number;
}

const LIVE: SubtaskStatus[] = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING'];

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
    if (TERMINAL_SUBTASK_STATUSES.includes(assignment.status)) return; // settled already (e.g. node lost, then it reported)
    if (
      outcome.attempt !== undefined &&
      (assignment.attempt !== outcome.attempt || assignment.nodeId !== outcome.nodeId)
    )
      return;
    const now = new Date();
    await tx
      .update(assignments)
      .set({ status: outcome.status, endedAt: now })
      .where(eq(assignments.id, assignmentId));
    // Subtasks that reported their own end keep it; the rest end with the assignment.
    const open = await tx
      .update(subtasks)
      .set({ status: outcome.status, endedAt: now })
      .where(
        and(
          eq(subtasks.assignmentId, assignmentId),
          notInArray(subtasks.status, [...TERMINAL_SUBTASK_STATUSES]),
        ),
      )
      .returning({ id: subtasks.id, attempt: subtasks.attempt });
    if (open.length) {
      await tx
        .update(subtaskAttempts)
        .set({
          status: outcome.status,
          endedAt: now,
          exitCode: outcome.exitCode ?? null,
          failure: outcome.failure?.message ?? null,
        })
        .where(
          and(
            inArray(
              subtaskAttempts.subtaskId,
              open.map((s) => s.id),
            ),
            inArray(subtaskAttempts.status, LIVE),
          ),
        );
    }
    if (outcome.failure) {
      await tx.insert(runExceptions).values({
        runId: run.id,
        message: outcome.failure.message,
        stack: outcome.failure.stack,
        vertexName: outcome.failure.vertex ?? null,
        subtaskIndex: outcome.failure.subtaskIndex ?? null,
        nodeId: outcome.nodeId ?? null,
      });
    }
    if (outcome.status === 'FAILED' && (await restartAssignment(database, tx, run, assignment.id, outcome)))
      return;
    await settleRun(
      database,
      tx,
      run,
      outcome.status === 'FAILED' ? (outcome.failure?.message ?? 'a subtask failed') : undefined,
    );
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
 */
async function restartAssignment(
  database: Database,
  tx: Tx,
  run: RunRow,
  assignmentId: string,
  outcome: AssignmentOutcome,
): Promise<boolean> {
  if (run.stopRequested || run.status === 'FAILING') return false;
  const [version] = await tx
    .select({ strategy: jobVersions.restartStrategy })
    .from(jobVersions)
    .where(eq(jobVersions.id, run.jobVersionId));
  const strategy = version?.strategy as RestartStrategy | undefined;
  if (!strategy || strategy.type === 'none' || run.attempt >= strategy.attempts) return false;
  const attempt = run.attempt + 1;
  const delay = restartDelayMs(strategy, attempt);
  await tx
    .update(assignments)
    .set({
      status: 'CREATED',
      nodeId: null,
      attempt,
      startedAt: null,
      endedAt: null,
      notBefore: new Date(Date.now() + delay),
    })
    .where(eq(assignments.id, assignmentId));
  await tx
    .update(subtasks)
    .set({ status: 'CREATED', nodeId: null, attempt, startedAt: null, endedAt: null })
    .where(and(eq(subtasks.assignmentId, assignmentId), notInArray(subtasks.status, ['FINISHED'])));
  const [updated] = await tx.update(runs).set({ attempt }).where(eq(runs.id, run.id)).returning();
  await transitionRun(
    database,
    tx,
    updated!,
    'RESTARTING',
    `restart ${attempt} of ${strategy.attempts} in ${delay} ms after: ${outcome.failure?.message ?? 'a failure'}`,
  );
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
  const live = rows.filter((a) => !TERMINAL_SUBTASK_STATUSES.includes(a.status));
  const failed = rows.some((a) => a.status === 'FAILED');
  let current = run;
  if (failed && live.length > 0) {
    if (current.status !== 'FAILING') {
      const moved = await transitionRun(database, tx, current, 'FAILING', failure ?? 'a subtask failed');
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
  if (current.status === 'CREATED' || current.status === 'RESTARTING') {
    // Never got to RUNNING (e.g. canceled before placement): pass through the allowed path.
    if (final === 'FINISHED' || final === 'SUSPENDED') {
      const r = await transitionRun(database, tx, current, 'RUNNING', 'started');
      if (r.ok) current = r.run;
    }
  }
  if (final === 'FAILED' && current.status === 'RUNNING') {
    const r = await transitionRun(database, tx, current, 'FAILING', cause);
    if (r.ok) current = r.run;
  }
  if ((final === 'CANCELED' || final === 'SUSPENDED') && current.status === 'RUNNING') {
    const r = await transitionRun(database, tx, current, 'CANCELLING', cause);
    if (r.ok) current = r.run;
  }
  await transitionRun(database, tx, current, final, cause);
}

function finalStatus(run: RunRow, failed: boolean): RunStatus {
  if (failed) return 'FAILED';
  switch (run.stopRequested) {
    case 'CANCEL':
    case 'STOP':
      return 'CANCELED';
    case 'SUSPEND':
      return 'SUSPENDED';
    default:
      return 'FINISHED';
  }
}

/** Ends the run's assignments (and their subtasks) that no node has taken yet. */
export async function cancelUnplaced(tx: Tx, runId: string): Promise<void> {
  const now = new Date();
  await tx
    .update(assignments)
    .set({ status: 'CANCELED', endedAt: now })
    .where(and(eq(assignments.runId, runId), eq(assignments.status, 'CREATED')));
  await tx
    .update(subtasks)
    .set({ status: 'CANCELED', endedAt: now })
    .where(and(eq(subtasks.runId, runId), eq(subtasks.status, 'CREATED')));
}

/** Asks every assignment of the run that has not ended to stop: unplaced ones end at once, placed
 * ones go CANCELING and their node kills them. */
export async function cancelLiveAssignments(tx: Tx, runId: string): Promise<void> {
  await cancelUnplaced(tx, runId);
  await tx
    .update(assignments)
    .set({ status: 'CANCELING' })
    .where(
      and(eq(assignments.runId, runId), inArray(assignments.status, ['SCHEDULED', 'DEPLOYING', 'RUNNING'])),
    );
}
