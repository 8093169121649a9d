// A subtask group's acknowledgement of a checkpoint. The last one completes it, in the same
// transaction (the checkpoint row is locked, so two last acks cannot both complete it).
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { checkpointAcks, checkpoints, runs } from '../../db/schema/index.ts';
import type { SplitPosition } from '../plugins/types.ts';
import { CheckpointStatus } from '../../lib/status.ts';
import { emitEvent } from '../events.ts';
import { transitionCheckpoints } from './transition-checkpoints.ts';

/** State an assignment snapshots: each source's split positions. */
export interface AssignmentState {
  index: number;
  sources: Record<string, Record<number, SplitPosition>>;
}

export async function ackCheckpoint(
  database: Database,
  checkpointId: string,
  subtaskId: string,
  state: AssignmentState,
): Promise<{ ok: boolean; completed: boolean }> {
  const json = JSON.stringify(state);
  return database.db.transaction(async (tx) => {
    const [checkpoint] = await tx
      .select()
      .from(checkpoints)
      .where(eq(checkpoints.id, checkpointId))
      .for('update');
    if (!checkpoint || checkpoint.status !== CheckpointStatus.IN_PROGRESS)
      return { ok: false, completed: false };
    await tx
      .insert(checkpointAcks)
      .values({
        checkpointId,
        subtaskId,
        state: state as unknown as Record<string, unknown>,
        stateSize: json.length,
      })
      .onConflictDoNothing();
    const [acks] = await tx
      .select({ n: count(), size: sql<number>`coalesce(sum(${checkpointAcks.stateSize}), 0)::int` })
      .from(checkpointAcks)
      .where(eq(checkpointAcks.checkpointId, checkpointId));
    if (Number(acks!.n) < checkpoint.expectedAcks) return { ok: true, completed: false };
    const completedAt = new Date();
    const location =
      checkpoint.kind === 'SAVEPOINT'
        ? `jobgate://savepoints/${checkpoint.id}`
        : `jobgate://runs/${checkpoint.runId}/checkpoints/${checkpoint.number}`;
    await transitionCheckpoints(tx, eq(checkpoints.id, checkpointId), CheckpointStatus.COMPLETED, {
      completedAt,
      durationMs: completedAt.getTime() - checkpoint.triggeredAt.getTime(),
      stateSize: Number(acks!.size),
      location,
    });
    if (checkpoint.stopAfter) {
      // Stop-with-savepoint: the run ends SUSPENDED once its subtasks stop (they stop reading at
      // the savepoint's barrier, so nothing after it reaches a sink).
      // A stop that drains ends FINISHED instead.
      const stopRequested = checkpoint.stopDrains ? 'DRAIN' : 'SUSPEND';
      await tx.update(runs).set({ stopRequested }).where(eq(runs.id, checkpoint.runId));
    }
    await emitEvent(
      database,
      {
        type: 'checkpoint:completed',
        runId: checkpoint.runId,
        checkpointId,
        payload: { number: checkpoint.number, kind: checkpoint.kind },
      },
      tx,
    );
    return { ok: true, completed: true };
  });
}

/** The source positions a checkpoint holds, merged over its acknowledgements: by source vertex
 * name, then by split (splits are disjoint between subtasks, so the merge works for any new
 * parallelism). */
export async function checkpointPositions(
  database: Database,
  checkpointId: string,
): Promise<Record<string, Record<number, SplitPosition>>> {
  const acks = await database.db
    .select({ state: checkpointAcks.state })
    .from(checkpointAcks)
    .where(eq(checkpointAcks.checkpointId, checkpointId))
    .orderBy(asc(checkpointAcks.ackedAt));
  const merged: Record<string, Record<number, SplitPosition>> = {};
  for (const { state } of acks) {
    for (const [source, splits] of Object.entries((state as unknown as AssignmentState).sources ?? {})) {
      merged[source] = { ...(merged[source] ?? {}), ...splits };
    }
  }
  return merged;
}

/** The checkpoint a pipeline assignment of this run resumes from: the run's latest completed one,
 * else the savepoint or checkpoint the run was started from. */
export async function restoreCheckpointFor(
  database: Database,
  runId: string,
  restoredFromId: string | null,
): Promise<string | null> {
  const [latest] = await database.db
    .select({ id: checkpoints.id })
    .from(checkpoints)
    .where(and(eq(checkpoints.runId, runId), eq(checkpoints.status, CheckpointStatus.COMPLETED)))
    .orderBy(desc(checkpoints.number))
    .limit(1);
  return latest?.id ?? restoredFromId;
}

/** Checkpoint ids in progress for these runs, oldest first. */
export async function pendingCheckpoints(database: Database, runIds: string[]) {
  if (runIds.length === 0) return [];
  return database.db
    .select({ id: checkpoints.id, runId: checkpoints.runId, stopAfter: checkpoints.stopAfter })
    .from(checkpoints)
    .where(and(inArray(checkpoints.runId, runIds), eq(checkpoints.status, CheckpointStatus.IN_PROGRESS)))
    .orderBy(asc(checkpoints.number));
}
