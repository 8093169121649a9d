import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { CONCURRENCY_POLICIES, JOB_KINDS, JOB_MODES, VERTEX_KINDS } from '../../lib/status.ts';
import { clusters } from './cluster.ts';
import { at, bytea, createdAt, oneOf } from './columns.ts';

/** A named job. Operational settings (schedule, disabled, concurrency, dependencies) live here and
 * change in place; the definition (DAG and run settings) is versioned in job_versions. */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    clusterId: uuid('cluster_id')
      .notNull()
      .references(() => clusters.id),
    currentVersion: integer('current_version').notNull().default(1),
    schedule: text('schedule'),
    timezone: text('timezone'),
    concurrency: text('concurrency')
      .$type<(typeof CONCURRENCY_POLICIES)[number]>()
      .notNull()
      .default('ALLOW'),
    retries: integer('retries').notNull().default(0),
    parentJobId: uuid('parent_job_id').references((): AnyPgColumn => jobs.id, { onDelete: 'set null' }),
    tags: jsonb('tags').$type<Record<string, string>>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deletedAt: at('deleted_at'),
  },
  (t) => [
    check('jobs_concurrency_check', oneOf(t.concurrency, CONCURRENCY_POLICIES)),
    check('jobs_retries_check', sql`${t.retries} >= 0 and ${t.retries} <= 100`),
    check('jobs_name_check', sql`length(${t.name}) between 1 and 200`),
    uniqueIndex('jobs_name_live_idx')
      .on(t.name)
      .where(sql`${t.deletedAt} is null`),
    index('jobs_cluster_idx').on(t.clusterId),
    index('jobs_parent_idx').on(t.parentJobId),
  ],
);

export const jobVersions = pgTable(
  'job_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    kind: text('kind').$type<(typeof JOB_KINDS)[number]>().notNull(),
    mode: text('mode').$type<(typeof JOB_MODES)[number]>().notNull(),
    parallelism: integer('parallelism').notNull().default(1),
    checkpointIntervalMs: integer('checkpoint_interval_ms'),
    restartStrategy: jsonb('restart_strategy').$type<Record<string, unknown>>().notNull().default({}),
    /** The definition as the client sent it (SeaTunnel JSON, command or steps). */
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    /** The uploaded artifact this version's definition came from (a Flink jar run), if any. */
    artifactId: uuid('artifact_id').references((): AnyPgColumn => artifacts.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('job_versions_job_version_key').on(t.jobId, t.version),
    check('job_versions_kind_check', oneOf(t.kind, JOB_KINDS)),
    check('job_versions_mode_check', oneOf(t.mode, JOB_MODES)),
    check('job_versions_parallelism_check', sql`${t.parallelism} between 1 and 256`),
  ],
);

/** One operator of a job version's DAG. */
export const vertices = pgTable(
  'vertices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    jobVersionId: uuid('job_version_id')
      .notNull()
      .references(() => jobVersions.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    kind: text('kind').$type<(typeof VERTEX_KINDS)[number]>().notNull(),
    plugin: text('plugin'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    parallelism: integer('parallelism').notNull().default(1),
  },
  (t) => [
    unique('vertices_version_name_key').on(t.jobVersionId, t.name),
    check('vertices_kind_check', oneOf(t.kind, VERTEX_KINDS)),
    check('vertices_parallelism_check', sql`${t.parallelism} between 1 and 256`),
    index('vertices_version_idx').on(t.jobVersionId, t.position),
  ],
);

export const vertexEdges = pgTable(
  'vertex_edges',
  {
    jobVersionId: uuid('job_version_id')
      .notNull()
      .references(() => jobVersions.id, { onDelete: 'cascade' }),
    fromVertexId: uuid('from_vertex_id')
      .notNull()
      .references(() => vertices.id, { onDelete: 'cascade' }),
    toVertexId: uuid('to_vertex_id')
      .notNull()
      .references(() => vertices.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.fromVertexId, t.toVertexId] }),
    check('vertex_edges_no_self_check', sql`${t.fromVertexId} <> ${t.toVertexId}`),
    index('vertex_edges_version_idx').on(t.jobVersionId),
    index('vertex_edges_to_idx').on(t.toVertexId),
  ],
);

/** An uploaded file that holds a job definition (a Flink jar's place). */
export const artifacts = pgTable(
  'artifacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    sha256: text('sha256').notNull(),
    size: integer('size').notNull(),
    content: bytea('content').notNull(),
    contentType: text('content_type').notNull().default('application/octet-stream'),
    /** The job definition found inside (a jar's `jobgate/job.json`), or null when it carries none. */
    definition: jsonb('definition').$type<Record<string, unknown>>(),
    /** Why the definition inside cannot be read (not JSON, not an object), when it cannot. */
    definitionProblem: text('definition_problem'),
    /** The jar manifest's Main-Class, shown as Flink's entry class. */
    entryClass: text('entry_class'),
    /** The token name that uploaded it. */
    uploadedBy: text('uploaded_by'),
    createdAt: createdAt(),
  },
  (t) => [
    check('artifacts_size_check', sql`${t.size} >= 0 and ${t.size} <= 104857600`),
    index('artifacts_created_idx').on(t.createdAt),
  ],
);
