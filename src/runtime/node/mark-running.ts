import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { assignments, subtaskAttempts, subtasks } from '../../db/schema/index.ts';
import { lockRun, transitionRun } from '../runs/transition-run.ts';

/** The assignment started: it, its subtasks and their attempts are RUNNING, and so is the run. */
export async function markAssignmentRunning(
  database: Database,
  assignmentId: string,
  runId: string,
): Promise<void> {
  await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) return;
    const now = new Date();
    await tx
      .update(assignments)
      .set({ status: 'RUNNING' })
      .where(and(eq(assignments.id, assignmentId), eq(assignments.status, 'DEPLOYING')));
    const subs = await tx
      .update(subtasks)
      .set({ status: 'RUNNING', startedAt: now })
      .where(
        and(eq(subtasks.assignmentId, assignmentId), inArray(subtasks.status, ['SCHEDULED', 'DEPLOYING'])),
      )
      .returning({ id: subtasks.id, attempt: subtasks.attempt });
    for (const s of subs) {
      await tx
        .update(subtaskAttempts)
        .set({ status: 'RUNNING', startedAt: now })
        .where(and(eq(subtaskAttempts.subtaskId, s.id), eq(subtaskAttempts.attempt, s.attempt)));
    }
    if (run.status === 'INITIALIZING' || run.status === 'CREATED' || run.status === 'RESTARTING') {
      await transitionRun(database, tx, run, 'RUNNING', 'subtasks running');
    }
  });
}

/** One subtask's own end (a step of a steps DAG), before its assignment ends. */
export async function markSubtask(
  database: Database,
  subtaskId: string,
  status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED',
  detail: { exitCode?: number | null; failure?: string | null } = {},
): Promise<void> {
  const now = new Date();
  const terminal = status !== 'RUNNING';
  const [row] = await database.db
    .update(subtasks)
    .set(terminal ? { status, endedAt: now } : { status, startedAt: now })
    .where(eq(subtasks.id, subtaskId))
    .returning({ attempt: subtasks.attempt });
  if (!row) return;
  await database.db
    .update(subtaskAttempts)
    .set(
      terminal
        ? { status, endedAt: now, exitCode: detail.exitCode ?? null, failure: detail.failure ?? null }
        : { status, startedAt: now },
    )
    .where(and(eq(subtaskAttempts.subtaskId, subtaskId), eq(subtaskAttempts.attempt, row.attempt)));
}
