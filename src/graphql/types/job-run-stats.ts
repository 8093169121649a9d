// A job's run outcomes (counts and the latest of each) and its next scheduled tick: what schedulers
// such as Dkron show on every job.
import { nextFireTime, type JobRunStats } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import { JobRef } from './refs.ts';

const JobRunStatsRef = builder.objectRef<JobRunStats>('JobRunStats').implement({
  description: "How a job's runs ended.",
  fields: (t) => ({
    finished: t.exposeInt('finished', { description: 'Runs that ended FINISHED.' }),
    failed: t.exposeInt('failed', { description: 'Runs that ended FAILED.' }),
    lastFinishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastFinishedAt }),
    lastFailedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastFailedAt }),
  }),
});

builder.objectFields(JobRef, (t) => ({
  runStats: t.field({
    type: JobRunStatsRef,
    description: "Counts of the job's ended runs.",
    args: { since: t.arg({ type: 'DateTime', description: 'Only runs created after this time.' }) },
    resolve: (job, args, ctx) => ctx.loaders.runStatsByJob.load({ jobId: job.id, since: args.since ?? null }),
  }),
  nextFireAt: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'When the schedule fires next; null when disabled, @manually or nothing is due.',
    resolve: (job) => nextFireTime(job, new Date()),
  }),
}));
