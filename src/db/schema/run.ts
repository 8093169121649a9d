import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { RUN_STATUSES, RUN_TRIGGERS, RunStatus, SUBTASK_STATUSES, SubtaskStatus } from '../../lib/status.ts';
import { nodes } from './cluster.ts';
import { at, createdAt, oneOf } from './columns.ts';
import { jobs, jobVersions, vertices } from './job.ts';

/** One execution of a job version. The id is 32 lowercase hex characters (a Flink JobID). */
export const runs = pgTable(
  'runs',
  {
    id: char('id', { length: 32 }).primaryKey(),
    /** Insertion order, for newest-first paging with a stable cursor. */
    num: bigserial('num', { mode: 'number' }).notNull().unique(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    jobVersionId: uuid('job_version_id')
      .notNull()
      .references(() => jobVersions.id),
    status: text('status').$type<(typeof RUN_STATUSES)[number]>().notNull().default(RunStatus.CREATED),
    statusCause: text('status_cause'),
    trigger: text('trigger').$type<(typeof RUN_TRIGGERS)[number]>().notNull().default('API'),
    parallelism: integer('parallelism').notNull().default(1),
    /** Restart attempts so far (0 for the first). */
    attempt: integer('attempt').notNull().default(0),
    restoredFromId: uuid('restored_from_id'),
    /** The run this one restarts or retries, or the parent run that triggered it. */
    previousRunId: char('previous_run_id', { length: 32 }).references((): AnyPgColumn => runs.id, {
      onDelete: 'set null',
    }),
    /** Next log line seq to hand out; bumped in the same transaction that inserts the lines. */
    logSeq: bigint('log_seq', { mode: 'number' }).notNull().default(0),
    stopRequested: text('stop_requested'),
    createdAt: createdAt(),
    startedAt: at('started_at'),
    endedAt: at('ended_at'),
  },
  (t) => [
    check('runs_id_check', sql`${t.id} ~ '^[0-9a-f]{32}$'`),
    check('runs_status_check', oneOf(t.status, RUN_STATUSES)),
    check('runs_trigger_check', oneOf(t.trigger, RUN_TRIGGERS)),
    check('runs_stop_requested_check', oneOf(t.stopRequested, ['STOP', 'DRAIN', 'CANCEL', 'SUSPEND'])),
    index('runs_job_idx').on(t.jobId, t.num),
    index('runs_status_idx').on(t.status, t.num),
    /** Retention walks ended runs oldest first to prune their log lines. */
    index('runs_ended_idx').on(t.endedAt, t.id),
  ],
);

/** Every status transition of a run, with its time and cause. */
export const runStatusHistory = pgTable(
  'run_status_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: char('run_id', { length: 32 })
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status').$type<(typeof RUN_STATUSES)[number]>(),
    toStatus: text('to_status').$type<(typeof RUN_STATUSES)[number]>().notNull(),
    cause: text('cause'),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [
    check('run_status_history_to_check', oneOf(t.toStatus, RUN_STATUSES)),
    index('run_status_history_run_idx').on(t.runId, t.id),
  ],
);

/** The unit of placement: what one slot of one node runs. A pipeline run of parallelism p has p
 * assignments (the chain's subtasks with one index); a shell step has one. The coordinator places an
 * assignment on a node (SCHEDULED + node_id); the node claims it with FOR UPDATE SKIP LOCKED. */
export const assignments = pgTable(
  'assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: char('run_id', { length: 32 })
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    index: integer('index').notNull(),
    status: text('status')
      .$type<(typeof SUBTASK_STATUSES)[number]>()
      .notNull()
      .default(SubtaskStatus.CREATED),
    attempt: integer('attempt').notNull().default(0),
    nodeId: uuid('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    /** Tags a node must carry to take this assignment. */
    requiredTags: jsonb('required_tags').$type<Record<string, string>>().notNull().default({}),
    /** Not to be placed before this time (restart strategy delays). */
    notBefore: at('not_before'),
    /** Why it is not placed yet (no free slot, no node with the tags), for people looking at it. */
    waitingReason: text('waiting_reason'),
    createdAt: createdAt(),
    startedAt: at('started_at'),
    endedAt: at('ended_at'),
  },
  (t) => [
    unique('assignments_run_name_key').on(t.runId, t.name),
    check('assignments_status_check', oneOf(t.status, SUBTASK_STATUSES)),
    index('assignments_status_idx').on(t.status, t.createdAt),
    index('assignments_node_idx').on(t.nodeId, t.status),
  ],
);

/** One parallel instance of a vertex in a run; it runs as part of one assignment. */
export const subtasks = pgTable(
  'subtasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: char('run_id', { length: 32 })
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    vertexId: uuid('vertex_id')
      .notNull()
      .references(() => vertices.id),
    assignmentId: uuid('assignment_id').references(() => assignments.id, { onDelete: 'set null' }),
    index: integer('index').notNull(),
    status: text('status')
      .$type<(typeof SUBTASK_STATUSES)[number]>()
      .notNull()
      .default(SubtaskStatus.CREATED),
    attempt: integer('attempt').notNull().default(0),
    nodeId: uuid('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    startedAt: at('started_at'),
    endedAt: at('ended_at'),
  },
  (t) => [
    unique('subtasks_run_vertex_index_key').on(t.runId, t.vertexId, t.index),
    check('subtasks_status_check', oneOf(t.status, SUBTASK_STATUSES)),
    index('subtasks_vertex_idx').on(t.vertexId),
    index('subtasks_assignment_idx').on(t.assignmentId),
    index('subtasks_node_idx').on(t.nodeId, t.status),
  ],
);

/** Each numbered attempt of a subtask, with the node it ran on. */
export const subtaskAttempts = pgTable(
  'subtask_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subtaskId: uuid('subtask_id')
      .notNull()
      .references(() => subtasks.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    nodeId: uuid('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    status: text('status').$type<(typeof SUBTASK_STATUSES)[number]>().notNull(),
    exitCode: integer('exit_code'),
    failure: text('failure'),
    startedAt: at('started_at'),
    endedAt: at('ended_at'),
  },
  (t) => [
    unique('subtask_attempts_subtask_attempt_key').on(t.subtaskId, t.attempt),
    check('subtask_attempts_status_check', oneOf(t.status, SUBTASK_STATUSES)),
  ],
);

/** A failure recorded against a run (Flink's exception history). */
export const runExceptions = pgTable(
  'run_exceptions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: char('run_id', { length: 32 })
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    at: at('at').notNull().defaultNow(),
    message: text('message').notNull(),
    stack: text('stack'),
    vertexName: text('vertex_name'),
    subtaskIndex: integer('subtask_index'),
    nodeId: uuid('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    /** Whether this failure ended the run (false: it was restarted). */
    global: boolean('global').notNull().default(false),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('run_exceptions_run_idx').on(t.runId, t.id)],
);
