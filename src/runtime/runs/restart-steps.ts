// Re-running named steps of an ended steps run in place (Keeper's restart with a list of action
// ids): the named steps run again whatever they ended as, the others keep their outcome.
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, vertices } from '../../db/schema/index.ts';
import { BadInputError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { isIn, RETRYABLE_RUN_STATUSES } from '../../lib/status.ts';
import { notifyCoordinators } from '../channels.ts';
import { checkShellStart } from '../jobs/job-actor.ts';
import { reopenForNewAttempt } from './reopen-attempt.ts';
import { readRunJob } from './run-job.ts';
import { lockRun, type RunRow } from './transition-run.ts';

/** Most step names one re-run may name (a steps job has at most 100 steps). */
export const MAX_RERUN_STEPS = 100;

/**
 * Runs the named steps of a FAILED or CANCELED steps run again, as its next attempt. Steps not
 * named are not run, whatever they ended as; a named step runs even when a step it depends on did
 * not finish. Unknown names are refused, naming `path`.
 */
export async function restartSteps(
  database: Database,
  runId: string,
  steps: readonly string[],
  actor: string,
  policy: { commandsEnabled: boolean; path?: string },
): Promise<RunRow> {
  const path = policy.path ?? 'input.steps';
  const names = [...new Set(steps)];
  if (names.length === 0) throw new BadInputError(`${path}: name at least one step`, { path });
  if (names.length > MAX_RERUN_STEPS) {
    throw new BadInputError(`${path}: at most ${MAX_RERUN_STEPS} steps`, { path });
  }
  const run = await database.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw new NotFoundError('run', runId);
    const version = await readRunJob(tx, run.jobVersionId);
    if (version?.kind !== 'STEPS') {
      throw new BadInputError(`${path}: only a steps job has steps to re-run`, { path });
    }
    checkShellStart(version.kind, policy.commandsEnabled, version.job);
    const found = await tx
      .select({ id: vertices.id, name: vertices.name })
      .from(vertices)
      .where(and(eq(vertices.jobVersionId, run.jobVersionId), inArray(vertices.name, names)));
    const unknown = names.filter((name) => !found.some((v) => v.name === name));
    if (unknown.length > 0) {
      throw new BadInputError(`${path}: the job has no step ${JSON.stringify(unknown[0])}`, { path });
    }
    if (!isIn(RETRYABLE_RUN_STATUSES, run.status)) {
      throw new ConflictError(`restart STEPS needs a FAILED or CANCELED run; run ${runId} is ${run.status}`, {
        details: { status: run.status },
      });
    }
    const reopen = await reopenForNewAttempt(database, tx, run, {
      cause: `re-run of steps ${names.join(', ')} requested by ${actor}`,
      retryOfEnded: true,
      vertexIds: found.map((v) => v.id),
    });
    if (reopen.reopened === 0) throw new ConflictError(`run ${runId} has none of these steps ended`);
    await tx.insert(auditEvents).values({
      actor,
      action: 'run:restart-steps',
      target: runId,
      details: { attempt: reopen.run.attempt, steps: names },
    });
    return reopen.run;
  });
  await notifyCoordinators(database, runId);
  return run;
}
