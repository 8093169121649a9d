import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  char,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
import { METRIC_SCOPES } from '../../lib/status.ts';
import { at, oneOf } from './columns.ts';
import { runs } from './run.ts';

/** A run's log lines. `seq` is gap-free per run and follows commit order (see runtime/sql). */
export const logLines = pgTable(
  'log_lines',
  {
    // No foreign key to runs: its check cost a third of the insert rate. A run's lines go with it by
    // the trigger on runs (migration 0008), and an append for a missing run inserts nothing.
    runId: char('run_id', { length: 32 }).notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: at('at').notNull(),
    /** 10 TRACE, 20 DEBUG, 30 INFO, 40 WARN, 50 ERROR (lib/status LOG_LEVEL_RANK). */
    level: smallint('level').notNull(),
    nodeId: uuid('node_id'),
    nodeName: text('node_name'),
    vertex: text('vertex'),
    subtaskIndex: integer('subtask_index'),
    message: text('message').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.seq] }),
    check('log_lines_level_check', sql`${t.level} in (10, 20, 30, 40, 50)`),
  ],
);

/** The current value of each metric; `key` names the scope instance (e.g. `subtask:<run>:<vertex>:0`). */
export const metricsCurrent = pgTable(
  'metrics_current',
  {
    key: text('key').notNull(),
    name: text('name').notNull(),
    scope: text('scope').$type<(typeof METRIC_SCOPES)[number]>().notNull(),
    runId: char('run_id', { length: 32 }).references(() => runs.id, { onDelete: 'cascade' }),
    nodeId: uuid('node_id'),
    vertexId: uuid('vertex_id'),
    subtaskIndex: integer('subtask_index'),
    value: doublePrecision('value').notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.name] }),
    check('metrics_current_scope_check', oneOf(t.scope, METRIC_SCOPES)),
    index('metrics_current_run_idx').on(t.runId, t.at),
    index('metrics_current_node_idx').on(t.nodeId),
  ],
);

export const metricHistory = pgTable(
  'metric_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    runId: char('run_id', { length: 32 }).references(() => runs.id, { onDelete: 'cascade' }),
    value: doublePrecision('value').notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [
    index('metric_history_key_idx').on(t.key, t.name, t.at),
    index('metric_history_run_idx').on(t.runId, t.id),
  ],
);

/** Runtime events (`run:status`, `checkpoint:completed`, `node:lost`, ...) in one ordered table, so a
 * subscriber on any gateway can read them after a cursor and none is lost between processes. */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    type: text('type').notNull(),
    runId: char('run_id', { length: 32 }),
    jobId: uuid('job_id'),
    nodeId: uuid('node_id'),
    checkpointId: uuid('checkpoint_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('events_run_idx').on(t.runId, t.id), index('events_type_idx').on(t.type, t.id)],
);
