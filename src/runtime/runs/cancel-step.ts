// Killing one running step of a steps run (Keeper's action kill): the step's subtask is marked
// CANCELING; the node running it sees that on its next look (run-command-assignment.ts) and ends
// the step's child process. The step then counts as failed: what depends on it is skipped.
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, subtasks, vertices } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { notifyNodesOfRuns } from '../channels.ts';
import { transitionSubtasks } from './transition-assignments.ts';
import { lockRun, type RunRow } from './transition-run.ts';

/** Asks the node to kill step `step` of the run; CONFLICT when that step is not running. */
export async function cancelStep(
  database: Database,
  runId: string,
  step: string,
  actor: string,
): Promise<RunRow> {
  const run = await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw new NotFoundError('run', runId);
    const [vertex] = await tx
      .select({ id: vertices.id })
      .from(vertices)
      .where(and(eq(vertices.jobVersionId, run.jobVersionId), eq(vertices.name, step)));
    if (!vertex) throw new NotFoundError('step', step);
    const moved = await transitionSubtasks(
      tx,
      and(eq(subtasks.runId, runId), eq(subtasks.vertexId, vertex.id))!,
      SubtaskStatus.CANCELING,
      {},
      { from: [SubtaskStatus.RUNNING] },
    );
    if (moved.length === 0)
      throw new ConflictError(`step ${JSON.stringify(step)} of run ${runId} is not running`);
    await tx.insert(auditEvents).values({ actor, action: 'step:cancel', target: runId, details: { step } });
    return run;
  });
  await notifyNodesOfRuns(database, [runId]);
  return run;
}
