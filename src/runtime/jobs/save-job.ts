// Creating, updating and deleting job definitions. A definition is validated whole before anything
// is written, and written in one transaction: nothing is half-stored.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { auditEvents, jobs, jobVersions, vertexEdges, vertices } from '../../db/schema/index.ts';
import {
  BadInputError,
  ConflictError,
  NotFoundError,
  PG_UNIQUE_VIOLATION,
  pgErrorCode,
} from '../../lib/errors.ts';
import type { ConcurrencyPolicy } from '../../lib/status.ts';
import { ensureCluster } from '../clusters.ts';
import {
  normalizeDefinition,
  type DefinitionInput,
  type NormalizedDefinition,
} from '../definition/job-definition.ts';
import { validateSchedule } from '../schedule/parse-schedule.ts';
import { secureDefinition, type DefinitionAccess } from '../definition/secure-definition.ts';
import { checkDefinitionPaths } from '../definition/check-definition-paths.ts';
import { noFileAccess, type FileGuard } from '../files/file-guard.ts';

/** Who saves a job and with what reach: the actor's role and the secret key (for raw connection
 * settings and sealing secrets), and the file roots paths in the definition must lie in. */
export interface SaveJobOptions extends DefinitionAccess {
  /** Where the input sits in the request, for error paths (default `input`). */
  base?: string;
  /** The file roots paths in the definition must lie in; without it every path is refused. */
  files?: FileGuard;
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

export type JobRow = typeof jobs.$inferSelect;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

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

/** Checks the settings that are not the definition; returns them ready to store. */
function normalizeSettings(input: JobSettingsInput, base: string) {
  if (!NAME.test(input.name)) {
    throw new BadInputError(
      `${base}.name: must be 1-200 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit`,
      { path: `${base}.name` },
    );
  }
  const retries = input.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw new BadInputError(`${base}.retries: must be an integer from 0 to 100`, { path: `${base}.retries` });
  }
  const schedule = input.schedule?.trim() || null;
  if (schedule) validateSchedule(schedule, input.timezone ?? null, `${base}.schedule`);
  return {
    schedule,
    timezone: input.timezone ?? null,
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

async function resolveParent(tx: Tx, name: string | null | undefined, path: string): Promise<string | null> {
  if (!name) return null;
  const [parent] = await tx
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)));
  if (!parent) throw new BadInputError(`${path}: no job named ${JSON.stringify(name)}`, { path });
  return parent.id;
}

export async function createJob(
  database: Database,
  input: JobSettingsInput,
  actor: string,
  options: SaveJobOptions,
): Promise<JobRow> {
  const base = options.base ?? 'input';
  const normalized = normalizeDefinition(input, base);
  await checkDefinitionPaths(normalized, options.files ?? noFileAccess, base);
  const settings = normalizeSettings(input, base);
  const clusterId = await ensureCluster(database, input.cluster ?? 'default');
  try {
    return await database.db.transaction(async (tx) => {
      const definition = await secureDefinition(tx, normalized, options, base);
      const parentJobId = await resolveParent(tx, input.parentJob, `${base}.parentJob`);
      const [job] = await tx
        .insert(jobs)
        .values({ name: input.name, clusterId, parentJobId, ...settings, currentVersion: 1 })
        .returning();
      await insertVersion(tx, job!.id, 1, definition, settings.restartStrategy);
      await tx
        .insert(auditEvents)
        .values({ actor, action: 'job:create', target: input.name, details: { kind: definition.kind } });
      return job!;
    });
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
      throw new ConflictError(`a job named ${JSON.stringify(input.name)} already exists`, { cause: err });
    }
    throw err;
  }
}

/** A new version of the definition (when one is given) and new settings; runs keep their version. */
export async function updateJob(
  database: Database,
  name: string,
  input: Partial<JobSettingsInput>,
  actor: string,
  options: SaveJobOptions,
): Promise<JobRow> {
  const base = options.base ?? 'input';
  const hasDefinition = input.pipeline != null || input.command != null || input.steps != null;
  const definition = hasDefinition ? normalizeDefinition(input, base) : undefined;
  if (definition) await checkDefinitionPaths(definition, options.files ?? noFileAccess, base);
  return database.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)))
      .for('update');
    if (!job) throw new NotFoundError('job', name);
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
        restartStrategy: input.restartStrategy,
      },
      base,
    );
    const { restartStrategy, ...rest } = settings;
    let version = job.currentVersion;
    if (definition) {
      version += 1;
      await insertVersion(
        tx,
        job.id,
        version,
        await secureDefinition(tx, definition, options, base),
        restartStrategy,
      );
    }
    const parentJobId =
      input.parentJob === undefined
        ? job.parentJobId
        : await resolveParent(tx, input.parentJob, `${base}.parentJob`);
    const [updated] = await tx
      .update(jobs)
      .set({ ...rest, parentJobId, currentVersion: version, updatedAt: new Date() })
      .where(eq(jobs.id, job.id))
      .returning();
    await tx.insert(auditEvents).values({ actor, action: 'job:update', target: name, details: { version } });
    return updated!;
  });
}

/** Soft-deletes a job (its runs stay readable); the name becomes free again. */
export async function deleteJob(database: Database, name: string, actor: string): Promise<JobRow> {
  return database.db.transaction(async (tx) => {
    const [job] = await tx
      .update(jobs)
      .set({ deletedAt: new Date(), disabled: true })
      .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)))
      .returning();
    if (!job) throw new NotFoundError('job', name);
    await tx.insert(auditEvents).values({ actor, action: 'job:delete', target: name });
    return job;
  });
}
