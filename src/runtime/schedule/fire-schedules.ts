// Schedules, retries of failed scheduled runs, and dependent jobs. Each firing first inserts a row
// into schedule_ticks, whose primary key (job, tick time) lets exactly one coordinator fire it.
import { and, eq, inArray, isNotNull, isNull, max, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { jobs, jobVersions, runs, scheduleTicks, type JobRow } from '../../db/schema/index.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { ACTIVE_RUN_STATUSES, RunStatus, sqlLiteral, type RunTrigger } from '../../lib/status.ts';
import { fenced, StaleLeaderError, type LeaderFence } from '../coordinator/fence.ts';
import { emitEvent } from '../events.ts';
import { COMMANDS_DISABLED_REASON, isShellKind } from '../jobs/job-actor.ts';
import { startRun } from '../runs/start-run.ts';
import { FOLLOW_UP_WINDOW } from './parent-link.ts';
import { parseSchedule } from './parse-schedule.ts';

/** Postgres prints `2026-11-21 13:03:46.434+00`; Date wants a `T` and a full offset. */
const parsePgTimestamp = (text: string) => new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));

/** The latest tick of a schedule that is due (after `since`, at or before `now`), if any. */
export function dueTick(
  job: Pick<JobRow, 'schedule' | 'timezone' | 'updatedAt'>,
  since: Date | null,
  now: Date,
): Date | null {
  const schedule = parseSchedule(job.schedule ?? '', job.timezone);
  const after = since ?? job.updatedAt;
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'at':
      return !since && schedule.at <= now ? schedule.at : null;
    case 'every': {
      const anchor = since ?? job.updatedAt;
      const steps = Math.floor((now.getTime() - anchor.getTime()) / schedule.everyMs);
      return steps >= 1 ? new Date(anchor.getTime() + steps * schedule.everyMs) : null;
    }
    case 'cron': {
      let due: Date | null = null;
      let next = schedule.cron.nextRun(after);
      // Missed ticks (the coordinator was down) collapse into the latest one, as cron does.
      for (let i = 0; next && next <= now && i < 10_000; i++) {
        due = next;
        next = schedule.cron.nextRun(next);
      }
      return due;
    }
  }
}

/** Where commands are off, a shell job's tick is recorded SKIPPED with the reason, not started. */
async function shellRefused(
  tx: Tx,
  job: JobRow,
  commandsEnabled: boolean | undefined,
): Promise<{ outcome: 'SKIPPED'; reason: string } | null> {
  if (commandsEnabled !== false) return null;
  const [version] = await tx
    .select({ kind: jobVersions.kind })
    .from(jobVersions)
    .where(and(eq(jobVersions.jobId, job.id), eq(jobVersions.version, job.currentVersion)));
  return version && isShellKind(version.kind)
    ? { outcome: 'SKIPPED', reason: COMMANDS_DISABLED_REASON }
    : null;
}

interface Firing {
  logger: Logger;
  job: JobRow;
  tickAt: Date;
  trigger: RunTrigger;
  /** The run that led to a retry or a dependent run. */
  previousRunId?: string;
  /** Marks retry and dependent ticks apart from the schedule's own (the next due tick ignores them). */
  kind?: 'retry' | 'dependent';
  commandsEnabled: boolean;
}

type Decision = { outcome: 'FIRED' | 'SKIPPED'; reason?: string };

/**
 * Records one tick and acts on it in one fenced transaction: the tick row (its primary key makes
 * each firing happen once), the decision, and the run it starts. A leader that loses its term between
 * recording a tick and starting its run could otherwise leave a FIRED tick with no run, which no
 * later leader would fire again. A run that cannot start (its job deleted meanwhile) is rolled back
 * to its savepoint and the tick recorded as skipped, with the reason.
 */
async function settleTick(
  database: Database,
  fence: LeaderFence,
  firing: Firing,
  decide: (tx: Tx) => Promise<Decision>,
): Promise<void> {
  const { job, tickAt, trigger } = firing;
  const thisTick = and(eq(scheduleTicks.jobId, job.id), eq(scheduleTicks.tickAt, tickAt));
  await fenced(database, fence, async (tx) => {
    const inserted = await tx
      .insert(scheduleTicks)
      .values({ jobId: job.id, tickAt, outcome: 'FIRED', reason: firing.kind })
      .onConflictDoNothing()
      .returning({ jobId: scheduleTicks.jobId });
    if (inserted.length === 0) return; // another coordinator fired it
    let decision = await decide(tx);
    if (decision.outcome === 'FIRED') {
      try {
        const run = await tx.transaction((savepoint) =>
          startRun(
            database,
            {
              jobId: job.id,
              trigger,
              actor: 'scheduler',
              previousRunId: firing.previousRunId,
              commandsEnabled: firing.commandsEnabled,
            },
            savepoint,
          ),
        );
        await tx.update(scheduleTicks).set({ runId: run.id }).where(thisTick);
        await emitEvent(
          database,
          {
            type: 'schedule:fired',
            jobId: job.id,
            runId: run.id,
            payload: { tickAt: tickAt.toISOString(), trigger },
          },
          tx,
        );
        return;
      } catch (err) {
        if (err instanceof StaleLeaderError) throw err;
        const error = coerceError(err);
        firing.logger.error({ err: error, job: job.name }, 'could not start a scheduled run');
        decision = { outcome: 'SKIPPED', reason: `the run could not start: ${error.message.slice(0, 500)}` };
      }
    }
    // A retry or dependent tick keeps its kind in `reason`; the skip's reason goes with the event.
    await tx
      .update(scheduleTicks)
      .set({ outcome: 'SKIPPED', reason: firing.kind ?? decision.reason })
      .where(thisTick);
    await emitEvent(
      database,
      {
        type: 'schedule:skipped',
        jobId: job.id,
        payload: { tickAt: tickAt.toISOString(), reason: decision.reason },
      },
      tx,
    );
  });
}

export async function fireSchedules(
  database: Database,
  fence: LeaderFence,
  options: { logger: Logger; now?: Date; commandsEnabled: boolean },
): Promise<void> {
  const now = options.now ?? new Date();
  const { db } = database;
  const scheduled = await db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.clusterId, fence.clusterId),
        isNull(jobs.deletedAt),
        eq(jobs.disabled, false),
        isNotNull(jobs.schedule),
      ),
    );
  if (scheduled.length === 0) return;
  const last = new Map(
    (
      await db
        .select({ jobId: scheduleTicks.jobId, last: max(scheduleTicks.tickAt) })
        .from(scheduleTicks)
        .where(
          and(
            inArray(
              scheduleTicks.jobId,
              scheduled.map((j) => j.id),
            ),
            sql`(${scheduleTicks.reason} is null or ${scheduleTicks.reason} not in ('retry', 'dependent'))`,
          ),
        )
        .groupBy(scheduleTicks.jobId)
    ).map((r) => [r.jobId, r.last]),
  );
  for (const job of scheduled) {
    let tick: Date | null;
    try {
      tick = dueTick(job, last.get(job.id) ?? null, now);
    } catch {
      continue; // validated when saved; a time zone may have vanished since
    }
    if (!tick) continue;
    // Inside the tick's transaction: PGlite runs one statement at a time, so nothing may wait on the
    // outer handle while the transaction is open.
    const firing: Firing = {
      logger: options.logger,
      job,
      tickAt: tick,
      trigger: 'SCHEDULE',
      commandsEnabled: options.commandsEnabled,
    };
    await settleTick(database, fence, firing, async (tx) => {
      const refused = await shellRefused(tx, job, options.commandsEnabled);
      if (refused) return refused;
      if (job.concurrency !== 'FORBID') return { outcome: 'FIRED' };
      const [active] = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.jobId, job.id), inArray(runs.status, [...ACTIVE_RUN_STATUSES])))
        .limit(1);
      return active
        ? { outcome: 'SKIPPED', reason: `run ${active.id} is still active (concurrency FORBID)` }
        : { outcome: 'FIRED' };
    });
  }
}

/** A retry or dependent run of `jobId` (if the job still exists), its tick keyed on the end of the
 * run that led to it. */
async function fireFollowUp(
  database: Database,
  fence: LeaderFence,
  options: { logger: Logger; commandsEnabled: boolean },
  jobId: string,
  after: { run_id: string; ended_at: string },
  trigger: 'RETRY' | 'DEPENDENT',
): Promise<void> {
  const [job] = await database.db.select().from(jobs).where(eq(jobs.id, jobId));
  if (!job) return;
  const firing: Firing = {
    logger: options.logger,
    job,
    tickAt: parsePgTimestamp(after.ended_at),
    trigger,
    previousRunId: after.run_id,
    kind: trigger === 'RETRY' ? 'retry' : 'dependent',
    commandsEnabled: options.commandsEnabled,
  };
  await settleTick(
    database,
    fence,
    firing,
    async (tx) => (await shellRefused(tx, job, options.commandsEnabled)) ?? { outcome: 'FIRED' },
  );
}

/** Failed scheduled runs are retried up to the job's `retries`; a finished run starts the jobs that
 * name its job as parent. Ticks keyed on the triggering run's end make each happen once; a child
 * gets ticks for the parent's earlier successes when it gains the parent (parent-link.ts). */
export async function fireFollowUps(
  database: Database,
  fence: LeaderFence,
  options: { logger: Logger; commandsEnabled: boolean },
): Promise<void> {
  const failed = await database.execute<{
    run_id: string;
    job_id: string;
    ended_at: string;
    retries: number;
  }>(sql`
    select r.id as run_id, r.job_id, date_trunc('milliseconds', r.ended_at)::text as ended_at, j.retries
    from runs r join jobs j on j.id = r.job_id
    where j.cluster_id = ${fence.clusterId}::uuid and j.retries > 0 and j.deleted_at is null and not j.disabled
      and r.status = ${sql.raw(sqlLiteral(RunStatus.FAILED))} and r.trigger in ('SCHEDULE', 'RETRY') and r.ended_at > now() - interval '1 day'
      and not exists (select 1 from schedule_ticks t where t.job_id = j.id and t.tick_at = date_trunc('milliseconds', r.ended_at))`);
  for (const row of failed) {
    // How many retries already led here: walk back through RETRY runs.
    let depth = 0;
    let cursor: string | null = row.run_id;
    for (; cursor && depth <= row.retries; depth++) {
      const [prev] = await database.db
        .select({ trigger: runs.trigger, previous: runs.previousRunId })
        .from(runs)
        .where(eq(runs.id, cursor));
      if (!prev || prev.trigger !== 'RETRY') break;
      cursor = prev.previous;
    }
    if (depth >= row.retries) continue;
    await fireFollowUp(database, fence, options, row.job_id, row, 'RETRY');
  }

  const dependents = await database.execute<{ run_id: string; child_id: string; ended_at: string }>(sql`
    select r.id as run_id, c.id as child_id, date_trunc('milliseconds', r.ended_at)::text as ended_at
    from runs r join jobs c on c.parent_job_id = r.job_id
    where c.cluster_id = ${fence.clusterId}::uuid and c.deleted_at is null and not c.disabled
      and r.status = ${sql.raw(sqlLiteral(RunStatus.FINISHED))} and r.ended_at > now() - ${FOLLOW_UP_WINDOW}
      and not exists (select 1 from schedule_ticks t where t.job_id = c.id and t.tick_at = date_trunc('milliseconds', r.ended_at))`);
  for (const row of dependents) {
    await fireFollowUp(database, fence, options, row.child_id, row, 'DEPENDENT');
  }
}
