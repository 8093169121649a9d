// When a job's schedule fires next, as the coordinator's dueTick (fire-schedules.ts) will find it:
// `@every` ticks count from the job's last change, cron ticks follow the expression in its zone.
import type { JobRow } from '../../db/schema/index.ts';
import { parseSchedule } from './parse-schedule.ts';

/** The next tick after `now`, or null for a disabled job, `@manually`, a past `@at` or no schedule. */
export function nextFireTime(
  job: Pick<JobRow, 'schedule' | 'timezone' | 'updatedAt' | 'disabled'>,
  now: Date,
): Date | null {
  if (job.disabled || !job.schedule) return null;
  let schedule;
  try {
    schedule = parseSchedule(job.schedule, job.timezone);
  } catch {
    return null;
  }
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'at':
      return schedule.at > now ? schedule.at : null;
    case 'every': {
      const anchor = job.updatedAt.getTime();
      const steps = Math.max(1, Math.floor((now.getTime() - anchor) / schedule.everyMs) + 1);
      return new Date(anchor + steps * schedule.everyMs);
    }
    case 'cron':
      return schedule.cron.nextRun(now);
  }
}
