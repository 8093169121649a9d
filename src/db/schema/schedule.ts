import { char, check, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { at, oneOf } from './columns.ts';
import { jobs } from './job.ts';
import { runs } from './run.ts';

/** One row per schedule tick of a job: the primary key makes a tick fire exactly once, however many
 * coordinators race for it. */
export const scheduleTicks = pgTable(
  'schedule_ticks',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    tickAt: at('tick_at').notNull(),
    outcome: text('outcome').notNull(),
    reason: text('reason'),
    runId: char('run_id', { length: 32 }).references(() => runs.id, { onDelete: 'set null' }),
    recordedAt: at('recorded_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.tickAt] }),
    check('schedule_ticks_outcome_check', oneOf(t.outcome, ['FIRED', 'SKIPPED'])),
    index('schedule_ticks_job_idx').on(t.jobId, t.tickAt),
  ],
);
