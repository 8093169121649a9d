// Creating, updating and deleting job definitions. A definition is validated whole before anything
// is written, and written in one transaction: nothing is half-stored.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import {
  auditEvents,
  clusters,
  jobs,
  jobVersions,
  vertexEdges,
  vertices,
  type JobRow,
  type JobVersionRow,
} from '../../db/schema/index.ts';
import {
  BadInputError,
  ConflictError,
  NotFoundError,
  PG_UNIQUE_VIOLATION,
  pgErrorCode,
} from '../../lib/errors.ts';
import { parseInput } from '../../lib/parse-input.ts';
import {
  normalizeDefinition,
  type DefinitionInput,
  type NormalizedDefinition,
} from '../definition/job-definition.ts';
import { secureDefinition } from '../definition/secure-definition.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import { checkDefinitionPaths } from '../definition/check-definition-paths.ts';
import { checkReplicationDefinition } from '../replication/check-replication.ts';
import { forgetDeletedReplication } from '../replication/forget-replication.ts';
import { noFileAccess, type FileGuard } from '../files/file-guard.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { skipEarlierParentRuns } from '../schedule/parent-link.ts';
import { checkShellWrite, isShellKind, type JobActor } from './job-actor.ts';
import {
  checkName,
  jobSettingsSchema,
  type JobSettings,
  type JobSettingsFields,
  type RestartStrategy,
} from './job-settings.ts';

export type { JobActor } from './job-actor.ts';
export { checkName, type RestartStrategy } from './job-settings.ts';

/** What a job write may reach besides the actor's role: the secret key (to seal secrets in the
 * definition) and the file roots paths in the definition must lie in. */
export interface SaveJobOptions {
  secrets: SecretBox;
  /** The file roots paths in the definition must lie in; without it every path is refused. */
  files?: FileGuard;
  /** Where the input sits in the request, for error paths (default `input`). */
  base?: string;
  /** The artifact the definition was read from (a jar run), recorded on the new version. */
  artifactId?: string;
}

/** A job as a client writes it: its settings and its definition. */
export type JobSettingsInput = JobSettingsFields & DefinitionInput;

/** The columns of `jobs` the settings fill (the restart strategy belongs to the version). */
function storedSettings(settings: JobSettings) {
  const { schedule, timezone, retries, concurrency, tags, metadata, disabled } = settings;
  return { schedule, timezone, retries, concurrency, tags, metadata, disabled };
}

async function insertVersion(
  tx: Tx,
  jobId: string,
  version: number,
  def: NormalizedDefinition,
  restartStrategy: RestartStrategy,
  artifactId: string | undefined,
) {
  const [row] = await tx
    .insert(jobVersions)
    .values({
      jobId,
      version,
      artifactId,
      kind: def.kind,
      mode: def.mode,
      parallelism: def.parallelism,
      checkpointIntervalMs: def.checkpointIntervalMs,
      restartStrategy: { ...restartStrategy },
      definition: def.document,
    })
    .returning({ id: jobVersions.id });
  const inserted = await tx
    .insert(vertices)
    .values(
      def.vertices.map((v, position) => ({
        jobVersionId: row!.id,
        name: v.name,
        position,
        kind: v.kind,
        plugin: v.plugin,
        config: v.config,
        parallelism: v.parallelism,
      })),
    )
    .returning({ id: vertices.id, name: vertices.name });
  const ids = new Map(inserted.map((v) => [v.name, v.id]));
  const edges = def.vertices.flatMap((v) =>
    v.inputs.map((input) => ({
      jobVersionId: row!.id,
      fromVertexId: ids.get(input)!,
      toVertexId: ids.get(v.name)!,
    })),
  );
  if (edges.length) await tx.insert(vertexEdges).values(edges);
  return row!.id;
}

/** The parent's id; a job may not be its own ancestor (it would start itself forever). */
async function resolveParent(
  tx: Tx,
  name: string | null | undefined,
  path: string,
  self?: { id: string | null; name: string },
): Promise<string | null> {
  if (!name) return null;
  if (self && name === self.name)
    throw new BadInputError(`${path}: a job cannot be its own parent`, { path });
  const [parent] = await tx
    .select({ id: jobs.id, parentJobId: jobs.parentJobId })
    .from(jobs)
    .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)));
  if (!parent) throw new BadInputError(`${path}: no job named ${JSON.stringify(name)}`, { path });
  // Walk up from the new parent: meeting the job itself means a cycle (A -> B -> A).
  let cursor = parent.parentJobId;
  for (let steps = 0; cursor && self?.id; steps++) {
    if (cursor === self.id || steps > 10_000) {
      throw new BadInputError(
        `${path}: ${JSON.stringify(name)} descends from ${JSON.stringify(self.name)}; parents may not form a cycle`,
        { path },
      );
    }
    const [up] = await tx.select({ parentJobId: jobs.parentJobId }).from(jobs).where(eq(jobs.id, cursor));
    cursor = up?.parentJobId ?? null;
  }
  return parent.id;
}

/** The cluster's id, created in the job's own transaction (a refused job leaves no cluster). */
async function clusterIdIn(tx: Tx, name: string): Promise<string> {
  await tx.insert(clusters).values({ name }).onConflictDoNothing({ target: clusters.name });
  const [row] = await tx.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, name));
  return row!.id;
}

/** A definition only admins give: shell commands, or an HTTP request that may reach any address. */
const givesShell = (input: DefinitionInput) =>
  input.command != null || input.steps != null || input.http != null;

export async function createJob(
  database: Database,
  input: JobSettingsInput,
  actor: JobActor,
  options: SaveJobOptions,
): Promise<JobRow> {
  const base = options.base ?? 'input';
  const shellPath = `${base}.${input.command != null ? 'command' : 'steps'}`;
  checkShellWrite(actor, {
    job: input.name,
    newShell: givesShell(input),
    existingShell: false,
    path: shellPath,
  });
  const settings = parseInput(jobSettingsSchema(new Date()), input, base);
  const normalized = normalizeDefinition(input, base);
  await checkDefinitionPaths(normalized, options.files ?? noFileAccess, base);
  await checkReplicationDefinition(database, normalized, actor.role, options.secrets, base);
  try {
    return await database.db.transaction(async (tx) => {
      const definition = await secureDefinition(
        tx,
        normalized,
        { role: actor.role, secrets: options.secrets },
        base,
      );
      const clusterId = await clusterIdIn(tx, settings.cluster);
      const parentJobId = await resolveParent(tx, settings.parentJob, `${base}.parentJob`, {
        id: null,
        name: settings.name,
      });
      const [job] = await tx
        .insert(jobs)
        .values({
          name: settings.name,
          clusterId,
          parentJobId,
          ...storedSettings(settings),
          currentVersion: 1,
        })
        .returning();
      await insertVersion(tx, job!.id, 1, definition, settings.restartStrategy, options.artifactId);
      if (parentJobId) await skipEarlierParentRuns(tx, job!.id, parentJobId);
      await tx.insert(auditEvents).values({
        actor: actor.name,
        action: 'job:create',
        target: input.name,
        details: { kind: definition.kind },
      });
      return job!;
    });
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
      throw new ConflictError(`a job named ${JSON.stringify(input.name)} already exists`, { cause: err });
    }
    throw err;
  }
}

/** The stored document of a version as the definition input it came from. */
function definitionOf(version: JobVersionRow): DefinitionInput {
  const doc = version.definition as Record<string, unknown>;
  if (version.kind === 'PIPELINE') return { pipeline: doc };
  if (version.kind === 'REPLICATION') return { replication: doc };
  if (version.kind === 'COMMAND') return { command: doc.command as DefinitionInput['command'] };
  if (version.kind === 'HTTP') return { http: doc.http as DefinitionInput['http'] };
  return { steps: doc.steps as DefinitionInput['steps'] };
}

/** The job's settings once `input` is applied: what the input leaves out stays as it is. */
function settingsAfter(
  input: Partial<JobSettingsInput>,
  job: JobRow,
  current: JobVersionRow,
): JobSettingsFields {
  const stored = current.restartStrategy;
  return {
    name: job.name,
    schedule: input.schedule === undefined ? job.schedule : input.schedule,
    timezone: input.timezone === undefined ? job.timezone : input.timezone,
    retries: input.retries ?? job.retries,
    concurrency: input.concurrency ?? job.concurrency,
    parentJob: input.parentJob,
    tags: input.tags ?? job.tags,
    metadata: input.metadata ?? job.metadata,
    disabled: input.disabled ?? job.disabled,
    restartStrategy:
      input.restartStrategy !== undefined
        ? input.restartStrategy
        : Object.keys(stored).length
          ? stored
          : undefined,
  };
}

async function lockJob(tx: Tx, name: string, path: string) {
  checkName(name, path);
  const [job] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)))
    .for('update');
  if (!job) throw new NotFoundError('job', name);
  const [version] = await tx
    .select()
    .from(jobVersions)
    .where(and(eq(jobVersions.jobId, job.id), eq(jobVersions.version, job.currentVersion)));
  return { job, version: version! };
}

/**
 * A new version when the definition or a version setting (mode, parallelism, checkpointIntervalMs,
 * restartStrategy) is given, and new settings; runs keep their version. Every accepted field is
 * applied or refused, none ignored.
 */
export async function updateJob(
  database: Database,
  name: string,
  input: Partial<JobSettingsInput>,
  actor: JobActor,
  options: SaveJobOptions,
): Promise<JobRow> {
  const base = options.base ?? 'input';
  const hasDefinition = givesShell(input) || input.pipeline != null || input.replication != null;
  // A new definition's paths are checked before the transaction: it touches the file system.
  const given = hasDefinition ? normalizeDefinition(input, base) : undefined;
  if (given) await checkDefinitionPaths(given, options.files ?? noFileAccess, base);
  if (given) await checkReplicationDefinition(database, given, actor.role, options.secrets, base);
  return database.db.transaction(async (tx) => {
    const { job, version: current } = await lockJob(tx, name, `${base}.name`);
    checkShellWrite(actor, {
      job: name,
      newShell: givesShell(input),
      existingShell: isShellKind(current.kind),
      path: `${base}.${input.command != null ? 'command' : input.http != null ? 'http' : 'steps'}`,
    });
    const scheduleChanges = input.schedule != null && input.schedule.trim() !== (job.schedule ?? '');
    const settings = parseInput(
      jobSettingsSchema(scheduleChanges ? new Date() : undefined),
      settingsAfter(input, job, current),
      base,
    );
    const versionChanges =
      hasDefinition ||
      input.mode != null ||
      input.parallelism != null ||
      input.checkpointIntervalMs != null ||
      input.restartStrategy !== undefined;
    let version = job.currentVersion;
    if (versionChanges) {
      const definition = given
        ? given
        : normalizeDefinition(
            {
              // The stored options, opened: they are checked again below and sealed afresh.
              ...revealSecrets(definitionOf(current), options.secrets),
              mode: input.mode ?? current.mode,
              parallelism: input.parallelism ?? (current.kind === 'PIPELINE' ? current.parallelism : null),
              checkpointIntervalMs: input.checkpointIntervalMs ?? current.checkpointIntervalMs,
            },
            base,
          );
      version += 1;
      await insertVersion(
        tx,
        job.id,
        version,
        // Only a new definition is held to the actor's role: the stored options, kept as they are
        // when only a version setting changes, passed the check when they were saved.
        await secureDefinition(
          tx,
          definition,
          { role: given ? actor.role : 'admin', secrets: options.secrets },
          base,
        ),
        settings.restartStrategy,
        options.artifactId,
      );
    }
    const parentJobId =
      input.parentJob === undefined
        ? job.parentJobId
        : await resolveParent(tx, settings.parentJob, `${base}.parentJob`, { id: job.id, name: job.name });
    const [updated] = await tx
      .update(jobs)
      .set({ ...storedSettings(settings), parentJobId, currentVersion: version, updatedAt: new Date() })
      .where(eq(jobs.id, job.id))
      .returning();
    if (parentJobId && parentJobId !== job.parentJobId) await skipEarlierParentRuns(tx, job.id, parentJobId);
    await tx
      .insert(auditEvents)
      .values({ actor: actor.name, action: 'job:update', target: name, details: { version } });
    return updated!;
  });
}

/** Soft-deletes a job (its runs stay readable); the name becomes free again. */
/** Deletes the job (its runs and history stay). A replication is forgotten at its servers too
 * when the secret key is given (see forgetDeletedReplication): the next job of the name starts over. */
export async function deleteJob(
  database: Database,
  name: string,
  actor: JobActor,
  options: { secrets?: SecretBox } = {},
): Promise<JobRow> {
  const { job, version } = await database.db.transaction(async (tx) => {
    const { job: found, version } = await lockJob(tx, name, 'name');
    checkShellWrite(actor, {
      job: name,
      newShell: false,
      existingShell: isShellKind(version.kind),
      path: 'name',
    });
    const [job] = await tx
      .update(jobs)
      .set({ deletedAt: new Date(), disabled: true })
      .where(eq(jobs.id, found.id))
      .returning();
    await tx.insert(auditEvents).values({ actor: actor.name, action: 'job:delete', target: name });
    return { job: job!, version };
  });
  if (version.kind === 'REPLICATION' && options.secrets)
    await forgetDeletedReplication(database, options.secrets, job.id, version.definition);
  return job;
}
