import { and, eq } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { runs, runStatusHistory, type RunRow } from '../../db/schema/index.ts';
import {
  canTransitionRun,
  isIn,
  isTerminalRunStatus,
  RETRYABLE_RUN_STATUSES,
  RunStatus,
} from '../../lib/status.ts';
import { emitEvent } from '../events.ts';

export type { RunRow };

/** Locks a run's row for the rest of the transaction (every status decision about a run is made
 * under this lock, so two nodes settling at once cannot both decide). */
export async function lockRun(tx: Tx, runId: string): Promise<RunRow | undefined> {
  const [row] = await tx.select().from(runs).where(eq(runs.id, runId)).for('update');
  return row;
}

/**
 * Moves a run to `to` if the state machine allows it (lib/status.ts), recording the transition with
 * its cause and a `run:status` event in the same transaction. A transition that is not allowed
 * (e.g. out of a terminal status) is a value, not an exception: `{ ok: false }`. The only function
 * that writes a run's status; the write itself checks that the row is still in the status the
 * decision was made from, so a caller without the row lock cannot move a run that moved meanwhile.
 */
export async function transitionRun(
  database: Database,
  tx: Tx,
  run: RunRow,
  to: RunStatus,
  cause: string,
  options: { allowRetryOfFailed?: boolean } = {},
): Promise<{ ok: true; run: RunRow } | { ok: false; status: RunStatus }> {
  const from = run.status;
  if (from === to) return { ok: true, run };
  const retry =
    options.allowRetryOfFailed && isIn(RETRYABLE_RUN_STATUSES, from) && to === RunStatus.RESTARTING;
  if (!retry && !canTransitionRun(from, to)) return { ok: false, status: from };
  const now = new Date();
  const patch: Partial<RunRow> = { status: to, statusCause: cause };
  if (to === RunStatus.RUNNING && !run.startedAt) patch.startedAt = now;
  if (isTerminalRunStatus(to)) patch.endedAt = now;
  if (retry) patch.endedAt = null;
  const [updated] = await tx
    .update(runs)
    .set(patch)
    .where(and(eq(runs.id, run.id), eq(runs.status, from)))
    .returning();
  if (!updated) {
    const [current] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, run.id));
    return { ok: false, status: current?.status ?? from };
  }
  await tx.insert(runStatusHistory).values({ runId: run.id, fromStatus: from, toStatus: to, cause });
  await emitEvent(
    database,
    { type: 'run:status', runId: run.id, jobId: run.jobId, payload: { from, to, cause } },
    tx,
  );
  return { ok: true, run: updated };
}
