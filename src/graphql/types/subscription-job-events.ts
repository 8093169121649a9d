// jobEvents: what happens to every run of one job (runs created, status changes, restarts,
// exceptions, checkpoints, schedules), for dashboards; it never completes on its own.
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { abortableStream, freshLoaders, parseEventCursor } from '../event-stream.ts';
import { requireJobByName } from '../lookups.ts';
import { RunEventRef } from './run-event.ts';

builder.subscriptionFields((t) => ({
  jobEvents: t.field({
    type: RunEventRef,
    description:
      'The events of every run of the job with this name, in order. `after`: a cursor from an ' +
      'earlier event (what came after it is sent first), or none or "HEAD" (from now on).',
    args: {
      job: t.arg.string({ required: true }),
      after: t.arg.string(),
    },
    subscribe: async (_root, args, ctx) => {
      requireRole(ctx, 'viewer');
      const job = await requireJobByName(args.job, ctx, 'job');
      const after = parseEventCursor(args.after, 'after', undefined);
      return abortableStream((signal) => ctx.settings.events.subscribe({ jobId: job.id }, after, { signal }));
    },
    resolve: (event, _args, ctx) => {
      freshLoaders(ctx);
      return event;
    },
  }),
}));
