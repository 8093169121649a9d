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
import type { ConcurrencyPolicy } from '../../lib/status.ts';
import {
  normalizeDefinition,
  type DefinitionInput,
  type NormalizedDefinition,
} from '../definition/job-definition.ts';
import { validateSchedule, validateTimezone } from '../schedule/parse-schedule.ts';
import { secureDefinition } from '../definition/secure-definition.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import { checkDefinitionPaths } from '../definition/check-definition-paths.ts';
import { noFileAccess, type FileGuard } from '../files/file-guard.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { checkShellWrite, isShellKind, type JobActor } from './job-actor.ts';

export type { JobActor } from './job-actor.ts';

/** What a job write may reach besides the actor's role: the secret key (to seal secrets in the
 * definition) and the file roots paths in the definition must lie in. */
export interface SaveJobOptions {
  secrets: SecretBox;
  /** The file roots paths in the definition must lie in; without it every path is refused. */
  files?: FileGuard;
  /** Where the input sits in the request, for error paths (default `input`). */
  base?: string;
}

export interface JobSettingsInput extends DefinitionInput {
  name: string;
  cluster?: string | null;
  schedule?: string | null;
  timezone?: string | null;
  retries?: number | null;
  concurrency?: ConcurrencyPolicy | null;
  parentJob?: string | null;
  tags?: unknown;
  metadata?: unknown;
  disabled?: boolean | null;
  restartStrategy?: unknown;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** Job and cluster names: 1-200 letters, digits, dots, colons, dashes or underscores. */
export function checkName(value: string, path: string): string {
  if (!NAME.test(value)) {
    const shown =
      value.length > 60
        ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} characters)`
        : JSON.stringify(value);
    throw new BadInputError(
      `${path}: ${shown} is not a name: use 1-200 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit`,
      { path },
    );
  }
  return value;
}

function stringMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadInputError(`${path}: must be an object of string values`, { path });
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) throw new BadInputError(`${path}: must have at most 100 entries`, { path });
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 200 || v.length > 2000) {
      throw new BadInputError(
        `${path}.${k}: must be a string (keys up to 200, values up to 2000 characters)`,
        {
          path: `${path}.${k}`,
        },
      );
    }
  }
  return value as Record<string, string>;
}

/** Checks the settings that are not the definition; returns them ready to store. A schedule the
 * caller gave (`newSchedule`) must not be an `@at` in the past. */
function normalizeSettings(input: JobSettingsInput, base: string, newSchedule: boolean) {
  checkName(input.name, `${base}.name`);
  const retries = input.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw new BadInputError(`${base}.retries: must be an integer from 0 to 100`, { path: `${base}.retries` });
  }
  const timezone = input.timezone?.trim() || null;
  if (timezone) validateTimezone(timezone, `${base}.timezone`);
  const schedule = input.schedule?.trim() || null;
  if (schedule)
    validateSchedule(schedule, timezone, `${base}.schedule`, newSchedule ? new Date() : undefined);
  return {
    schedule,
    timezone,
    retries,
    concurrency: input.concurrency ?? 'ALLOW',
    tags: stringMap(input.tags, `${base}.tags`),
    metadata: stringMap(input.metadata, `${base}.metadata`),
    disabled: input.disabled ?? false,
    restartStrategy: normalizeRestartStrategy(input.restartStrategy, `${base}.restartStrategy`),
  };
}

export interface RestartStrategy {
  type: 'none' | 'fixed-delay' | 'exponential-delay';
  attempts: number;
  delayMs: number;
  maxDelayMs: number;
}

export function normalizeRestartStrategy(value: unknown, path: string): RestartStrategy {
  if (value === undefined || value === null)
    return { type: 'none', attempts: 0, delayMs: 1000, maxDelayMs: 60_000 };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadInputError(`${path}: must be an object { type, attempts, delayMs, maxDelayMs }`, { path });
  }
  const v = value as Record<string, unknown>;
  const type = v.type ?? 'fixed-delay';
  if (type !== 'none' && type !== 'fixed-delay' && type !== 'exponential-delay') {
    throw new BadInputError(`${path}.type: must be none, fixed-delay or exponential-delay`, {
      path: `${path}.type`,
    });
  }
  const int = (key: string, fallback: number, max: number) => {
    const n = v[key] ?? fallback;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
      throw new BadInputError(`${path}.${key}: must be an integer from 0 to ${max}`, {
        path: `${path}.${key}`,
      });
    }
    return n;
  };
  return {
    type,
    attempts: type === 'none' ? 0 : int('attempts', 3, 1000),
    delayMs: int('delayMs', 1000, 3_600_000),
    maxDelayMs: int('maxDelayMs', 60_000, 86_400_000),
  };
}

async function insertVersion(
  tx: Tx,
  jobId: string,
  version: number,
  def: NormalizedDefinition,
  restartStrategy: RestartStrategy,
) {
  const [row] = await tx
    .insert(jobVersions)
    .values({
      jobId,
      version,
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
  checkName(name, path);
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

const givesShell = (input: DefinitionInput) => input.command != null || input.steps != null;

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
  const settings = normalizeSettings(input, base, true);
  const normalized = normalizeDefinition(input, base);
  await checkDefinitionPaths(normalized, options.files ?? noFileAccess, base);
  const cluster = checkName(input.cluster ?? 'default', `${base}.cluster`);
  try {
    return await database.db.transaction(async (tx) => {
      const definition = await secureDefinition(
        tx,
        normalized,
        { role: actor.role, secrets: options.secrets },
        base,
      );
      const clusterId = await clusterIdIn(tx, cluster);
      const parentJobId = await resolveParent(tx, input.parentJob, `${base}.parentJob`, {
        id: null,
        name: input.name,
      });
      const [job] = await tx
        .insert(jobs)
        .values({ name: input.name, clusterId, parentJobId, ...settings, currentVersion: 1 })
        .returning();
      await insertVersion(tx, job!.id, 1, definition, settings.restartStrategy);
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
  if (version.kind === 'COMMAND') return { command: doc.command as DefinitionInput['command'] };
  return { steps: doc.steps as DefinitionInput['steps'] };
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
  const hasDefinition = givesShell(input) || input.pipeline != null;
  // A new definition's paths are checked before the transaction: it touches the file system.
  const given = hasDefinition ? normalizeDefinition(input, base) : undefined;
  if (given) await checkDefinitionPaths(given, options.files ?? noFileAccess, base);
  return database.db.transaction(async (tx) => {
    const { job, version: current } = await lockJob(tx, name, `${base}.name`);
    checkShellWrite(actor, {
      job: name,
      newShell: givesShell(input),
      existingShell: isShellKind(current.kind),
      path: `${base}.${input.command != null ? 'command' : 'steps'}`,
    });
    const settings = normalizeSettings(
      {
        name: job.name,
        schedule: input.schedule === undefined ? job.schedule : input.schedule,
        timezone: input.timezone === undefined ? job.timezone : input.timezone,
        retries: input.retries ?? job.retries,
        concurrency: input.concurrency ?? job.concurrency,
        tags: input.tags ?? job.tags,
        metadata: input.metadata ?? job.metadata,
        disabled: input.disabled ?? job.disabled,
        restartStrategy:
          input.restartStrategy !== undefined
            ? input.restartStrategy
            : Object.keys(current.restartStrategy).length
              ? current.restartStrategy
              : undefined,
      },
      base,
      input.schedule != null && input.schedule.trim() !== (job.schedule ?? ''),
    );
    const { restartStrategy, ...rest } = settings;
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
        restartStrategy,
      );
    }
    const parentJobId =
      input.parentJob === undefined
        ? job.parentJobId
        : await resolveParent(tx, input.parentJob, `${base}.parentJob`, { id: job.id, name: job.name });
    const [updated] = await tx
      .update(jobs)
      .set({ ...rest, parentJobId, currentVersion: version, updatedAt: new Date() })
      .where(eq(jobs.id, job.id))
      .returning();
    await tx
      .insert(auditEvents)
      .values({ actor: actor.name, action: 'job:update', target: name, details: { version } });
    return updated!;
  });
}

/** Soft-deletes a job (its runs stay readable); the name becomes free again. */
export async function deleteJob(database: Database, name: string, actor: JobActor): Promise<JobRow> {
  return database.db.transaction(async (tx) => {
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
    return job!;
  });
}
