// The only writes of a checkpoint's status. The write checks the state machine
// (lib/checkpoint-status.ts) in its WHERE, so a checkpoint that completed meanwhile is not failed
// (and the reverse), and returns the rows it moved.
import { and, inArray, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { checkpoints, type CheckpointRow } from '../../db/schema/index.ts';
import { CHECKPOINT_TRANSITIONS, fromSet, type CheckpointStatus } from '../../lib/status.ts';

type CheckpointPatch = {
  [K in keyof Omit<typeof checkpoints.$inferInsert, 'status' | 'id' | 'runId'>]?:
    (typeof checkpoints.$inferInsert)[K] | SQL;
};

/** Moves the checkpoints matching `where` (and the machine) to `to`, with `patch`. */
export async function transitionCheckpoints(
  db: Executor,
  where: SQL | undefined,
  to: CheckpointStatus,
  patch: CheckpointPatch = {},
): Promise<CheckpointRow[]> {
  const from = fromSet(CHECKPOINT_TRANSITIONS, to);
  return db
    .update(checkpoints)
    .set({ ...patch, status: to })
    .where(and(where, inArray(checkpoints.status, [...from])))
    .returning();
}
