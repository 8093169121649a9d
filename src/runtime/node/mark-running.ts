import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { assignments, subtasks } from '../../db/schema/index.ts';
import { RunStatus, SubtaskStatus, type TerminalSubtaskStatus } from '../../lib/status.ts';
import { transitionAssignments, transitionSubtasks } from '../runs/transition-assignments.ts';
import { lockRun, transitionRun } from '../runs/transition-run.ts';

/** The assignment started: it, its subtasks and their attempts are RUNNING, and so is the run. With
 * `subtasks: false` (a steps DAG) each subtask becomes RUNNING only when its own step starts
 * (markSubtask), so a step waiting for its dependencies is not reported running. */
export async function markAssignmentRunning(
  database: Database,
  assignmentId: string,
  runId: string,
  options: { subtasks?: boolean } = {},
): Promise<void> {
  await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) return;
    const now = new Date();
    await transitionAssignments(
      tx,
      eq(assignments.id, assignmentId),
      SubtaskStatus.RUNNING,
      {},
      {
        from: [SubtaskStatus.DEPLOYING],
      },
    );
    if (options.subtasks !== false) {
      await transitionSubtasks(
        tx,
        eq(subtasks.assignmentId, assignmentId),
        SubtaskStatus.RUNNING,
        { startedAt: now },
        { from: [SubtaskStatus.SCHEDULED, SubtaskStatus.DEPLOYING], attempt: { startedAt: now } },
      );
    }
    // From CREATED, INITIALIZING or RESTARTING; a run already past RUNNING stays where it is.
    await transitionRun(database, tx, run, RunStatus.RUNNING, 'subtasks running');
  });
}

/** One subtask's own start or end (a step of a steps DAG), before its assignment ends. */
export async function markSubtask(
  database: Database,
  subtaskId: string,
  status: typeof SubtaskStatus.RUNNING | TerminalSubtaskStatus,
  detail: { exitCode?: number | null; failure?: string | null } = {},
): Promise<void> {
  const now = new Date();
  if (status === SubtaskStatus.RUNNING) {
    await transitionSubtasks(
      database.db,
      eq(subtasks.id, subtaskId),
      status,
      { startedAt: now },
      { attempt: { startedAt: now } },
    );
    return;
  }
  await transitionSubtasks(
    database.db,
    eq(subtasks.id, subtaskId),
    status,
    { endedAt: now },
    { attempt: { endedAt: now, exitCode: detail.exitCode ?? null, failure: detail.failure ?? null } },
  );
}
