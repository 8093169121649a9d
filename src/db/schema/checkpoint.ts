import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
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
} from 'drizzle-orm/pg-core';
import { CHECKPOINT_KINDS, CHECKPOINT_STATUSES, CheckpointStatus } from '../../lib/status.ts';
import { at, oneOf } from './columns.ts';
import { runs, subtasks } from './run.ts';

/** A consistent snapshot of a run: complete when every task group has acknowledged it. */
export const checkpoints = pgTable(
  'checkpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: char('run_id', { length: 32 })
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** 1, 2, 3 ... within the job's lineage of runs (Flink's checkpoint id). */
    number: integer('number').notNull(),
    kind: text('kind').$type<(typeof CHECKPOINT_KINDS)[number]>().notNull(),
    status: text('status')
      .$type<(typeof CHECKPOINT_STATUSES)[number]>()
      .notNull()
      .default(CheckpointStatus.IN_PROGRESS),
    /** Client-chosen id of a savepoint request; the same one never yields a second savepoint. */
    requestId: text('request_id'),
    /** Stop the run once this savepoint completes (stop-with-savepoint). */
    stopAfter: boolean('stop_after').notNull().default(false),
    /** With stopAfter: the stop drains, and the run ends FINISHED instead of SUSPENDED (Flink's
     * stop with drain). */
    stopDrains: boolean('stop_drains').notNull().default(false),
    expectedAcks: integer('expected_acks').notNull(),
    triggeredAt: at('triggered_at').notNull().defaultNow(),
    completedAt: at('completed_at'),
    durationMs: integer('duration_ms'),
    stateSize: bigint('state_size', { mode: 'number' }).notNull().default(0),
    location: text('location'),
    failureReason: text('failure_reason'),
  },
  (t) => [
    unique('checkpoints_run_number_key').on(t.runId, t.number),
    uniqueIndex('checkpoints_run_request_idx')
      .on(t.runId, t.requestId)
      .where(sql`${t.requestId} is not null`),
    check('checkpoints_kind_check', oneOf(t.kind, CHECKPOINT_KINDS)),
    check('checkpoints_status_check', oneOf(t.status, CHECKPOINT_STATUSES)),
    index('checkpoints_run_idx').on(t.runId, t.number),
  ],
);

/** One subtask's acknowledgement of a checkpoint, with the state it snapshotted. */
export const checkpointAcks = pgTable(
  'checkpoint_acks',
  {
    checkpointId: uuid('checkpoint_id')
      .notNull()
      .references(() => checkpoints.id, { onDelete: 'cascade' }),
    subtaskId: uuid('subtask_id')
      .notNull()
      .references(() => subtasks.id, { onDelete: 'cascade' }),
    /** Source positions, operator state and sink commit marks of this subtask at the barrier. */
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    stateSize: integer('state_size').notNull(),
    ackedAt: at('acked_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.checkpointId, t.subtaskId] })],
);
