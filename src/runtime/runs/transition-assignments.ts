// The only writes of assignment and subtask statuses (besides the claim statement, which moves
// SCHEDULED → DEPLOYING in the hot path: runtime/sql/claim-assignments.ts). Each write checks the
// state machine in its WHERE (lib/subtask-status.ts), so a row that moved meanwhile is left as it
// is, and returns the rows it moved. A subtask's current attempt row follows its subtask.
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { assignments, subtaskAttempts, subtasks } from '../../db/schema/index.ts';
import { fromSet, SUBTASK_TRANSITIONS, type SubtaskStatus } from '../../lib/status.ts';

type AssignmentPatch = Omit<Partial<typeof assignments.$inferInsert>, 'status' | 'id' | 'runId'>;
type SubtaskPatch = Omit<Partial<typeof subtasks.$inferInsert>, 'status' | 'id' | 'runId'>;
type AttemptPatch = Omit<Partial<typeof subtaskAttempts.$inferInsert>, 'status' | 'id' | 'subtaskId'>;

export interface TransitionOptions {
  /** Narrower than every status the machine lets move to `to` (or `to` itself: idempotent). */
  from?: readonly SubtaskStatus[];
}

/** Moves the assignments matching `where` (and the machine) to `to`, with `patch`. */
export async function transitionAssignments(
  tx: Executor,
  where: SQL | undefined,
  to: SubtaskStatus,
  patch: AssignmentPatch = {},
  options: TransitionOptions = {},
): Promise<(typeof assignments.$inferSelect)[]> {
  const from = fromSet(SUBTASK_TRANSITIONS, to, options.from);
  if (from.length === 0) return [];
  return tx
    .update(assignments)
    .set({ ...patch, status: to })
    .where(and(where, inArray(assignments.status, [...from])))
    .returning();
}

/** Moves the subtasks matching `where` (and the machine) to `to`, with `patch`; their current
 * attempt rows move with them (with `attempt`, when in a status the machine lets move). */
export async function transitionSubtasks(
  tx: Executor,
  where: SQL | undefined,
  to: SubtaskStatus,
  patch: SubtaskPatch = {},
  options: TransitionOptions & { attempt?: AttemptPatch | false } = {},
): Promise<{ id: string; assignmentId: string | null; attempt: number }[]> {
  const from = fromSet(SUBTASK_TRANSITIONS, to, options.from);
  if (from.length === 0) return [];
  const moved = await tx
    .update(subtasks)
    .set({ ...patch, status: to })
    .where(and(where, inArray(subtasks.status, [...from])))
    .returning({ id: subtasks.id, assignmentId: subtasks.assignmentId, attempt: subtasks.attempt });
  if (moved.length === 0 || options.attempt === false) return moved;
  const attemptFrom = fromSet(SUBTASK_TRANSITIONS, to);
  await tx
    .update(subtaskAttempts)
    .set({ ...options.attempt, status: to })
    .where(
      and(
        inArray(
          subtaskAttempts.subtaskId,
          moved.map((m) => m.id),
        ),
        sql`${subtaskAttempts.attempt} = (select s.attempt from subtasks s where s.id = ${subtaskAttempts.subtaskId})`,
        inArray(subtaskAttempts.status, attemptFrom),
      ),
    );
  return moved;
}

/** One assignment by id. */
export const assignmentIs = (id: string) => eq(assignments.id, id);
