// Starting a job on request (the API's startJob, a dialect's submit or run): the checks every way in
// shares, then startRun.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { jobs } from '../../db/schema/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/parse-input.ts';
import { checkRestorePoint } from '../checkpoints/check-restore-point.ts';
import { startJobInputSchema, type StartJobInput } from './run-inputs.ts';
import { startRun } from './start-run.ts';
import type { RunRow } from '../../db/schema/index.ts';

/** Starts a new run of a live job; refusals name the input field (`input.job`, …). */
export async function startJob(
  database: Database,
  input: StartJobInput,
  actor: { name: string; commandsEnabled: boolean },
): Promise<RunRow> {
  const parsed = parseInput(startJobInputSchema, input, 'input');
  const [job] = await database.db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.name, parsed.job), isNull(jobs.deletedAt)));
  if (!job) throw new NotFoundError('job', parsed.job);
  const restoredFromId = parsed.fromSavepoint
    ? await checkRestorePoint(database, job.id, parsed.fromSavepoint, {
        allowNonRestoredState: parsed.allowNonRestoredState ?? false,
        path: 'input.fromSavepoint',
      })
    : undefined;
  const parallelism = parsed.parallelism ?? undefined;
  return startRun(database, {
    jobId: job.id,
    trigger: 'API',
    actor: actor.name,
    parallelism,
    restoredFromId,
    commandsEnabled: actor.commandsEnabled,
    notBefore: parsed.delaySeconds ? new Date(Date.now() + parsed.delaySeconds * 1000) : undefined,
  });
}
