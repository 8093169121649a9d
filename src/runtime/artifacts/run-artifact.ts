// Running an artifact (Flink's POST /jars/:jarid/run): the job its definition describes is created,
// or given a new version when it came from another artifact, then started like startJob starts any
// job. The role rules are createJob's and updateJob's (a definition with shell commands needs an
// admin) and startJob's; none is repeated here.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  artifacts,
  auditEvents,
  jobs,
  jobVersions,
  type ArtifactRow,
  type RunRow,
} from '../../db/schema/index.ts';
import { BadInputError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { checkRestorePoint } from '../checkpoints/check-restore-point.ts';
import { resolveCheckpointLocation } from '../checkpoints/resolve-location.ts';
import type { JobActor } from '../jobs/job-actor.ts';
import { createJob, updateJob, type SaveJobOptions } from '../jobs/save-job.ts';
import { startJob } from '../runs/start-job.ts';
import { ARTIFACT_DEFINITION_BASE, artifactJobInput, definitionPart } from './artifact-job.ts';

export interface RunArtifactInput {
  id: string;
  parallelism?: number | null;
  /** Restore from this savepoint or checkpoint id. */
  fromSavepoint?: string | null;
  /** Restore from the savepoint at this location (what Flink clients pass as savepointPath). */
  fromSavepointPath?: string | null;
  allowNonRestoredState?: boolean | null;
}

/** An artifact by id, or NOT_FOUND; a malformed id is BAD_USER_INPUT naming `path`. */
export async function requireArtifact(database: Database, id: string, path: string): Promise<ArtifactRow> {
  if (!isUuid(id)) {
    throw new BadInputError(`${path}: ${JSON.stringify(id.slice(0, 60))} is not an artifact id`, { path });
  }
  const [row] = await database.db.select().from(artifacts).where(eq(artifacts.id, id));
  if (!row) throw new NotFoundError('artifact', id);
  return row;
}

/** A restore point as the input names it: the checkpoint id and the input field that named it. */
interface RestorePoint {
  id: string;
  path: string;
}

/** The savepoint the input names (by id or by location), if any. */
async function restorePointOf(
  database: Database,
  input: RunArtifactInput,
): Promise<RestorePoint | undefined> {
  if (input.fromSavepoint && input.fromSavepointPath) {
    throw new BadInputError('input.fromSavepointPath: give fromSavepoint or fromSavepointPath, not both', {
      path: 'input.fromSavepointPath',
    });
  }
  if (input.fromSavepointPath) {
    const path = 'input.fromSavepointPath';
    return { id: (await resolveCheckpointLocation(database, input.fromSavepointPath, path)).id, path };
  }
  return input.fromSavepoint ? { id: input.fromSavepoint, path: 'input.fromSavepoint' } : undefined;
}

/** The live job of this name with the artifact its current version came from. */
async function findJob(database: Database, name: string) {
  const [row] = await database.db
    .select({ id: jobs.id, artifactId: jobVersions.artifactId })
    .from(jobs)
    .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, jobs.currentVersion)))
    .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)));
  return row;
}

/** Makes the job hold the artifact's definition: created, or a new version unless its current one
 * already came from this artifact. */
async function saveArtifactJob(
  database: Database,
  artifact: ArtifactRow,
  actor: JobActor,
  options: SaveJobOptions,
  restorePoint: RestorePoint | undefined,
): Promise<string> {
  const input = artifactJobInput(artifact, 'input.id', options.secrets);
  const saveOptions = { ...options, base: ARTIFACT_DEFINITION_BASE, artifactId: artifact.id };
  const existing = await findJob(database, input.name);
  if (!existing) {
    // A savepoint belongs to a job's runs: a job not made yet has none.
    if (restorePoint) {
      const { id, path } = restorePoint;
      throw new BadInputError(`${path}: savepoint ${id} belongs to another job`, { path });
    }
    try {
      await createJob(database, input, actor, saveOptions);
    } catch (err) {
      // Another run of the same jar created it a moment ago: go on with it.
      if (!(err instanceof ConflictError) || !(await findJob(database, input.name))) throw err;
    }
    return input.name;
  }
  // The restore point is checked before a new version is written: a refused run changes nothing
  // (its state is checked against the new version when the run starts).
  if (restorePoint) {
    const { id, path } = restorePoint;
    await checkRestorePoint(database, existing.id, id, { allowNonRestoredState: true, path });
  }
  if (existing.artifactId !== artifact.id) {
    await updateJob(database, input.name, definitionPart(input), actor, saveOptions);
  }
  return input.name;
}

/** Runs the job an artifact carries; the new run is returned at once (CREATED or later). */
export async function runArtifact(
  database: Database,
  input: RunArtifactInput,
  actor: JobActor,
  options: SaveJobOptions,
): Promise<RunRow> {
  const artifact = await requireArtifact(database, input.id, 'input.id');
  const restorePoint = await restorePointOf(database, input);
  const allowNonRestoredState = input.allowNonRestoredState ?? false;
  const job = await saveArtifactJob(database, artifact, actor, options, restorePoint);
  const run = await startJob(
    database,
    { job, fromSavepoint: restorePoint?.id, parallelism: input.parallelism, allowNonRestoredState },
    actor,
  );
  await database.db.insert(auditEvents).values({
    actor: actor.name,
    action: 'artifact:run',
    target: artifact.id,
    details: { run: run.id, job },
  });
  return run;
}
