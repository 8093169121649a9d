// runEvents: what happens to one run, as it happens, resumable from a cursor; it completes once the
// run has ended and its last event was sent.
import { watchRunEvents } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { abortableStream, freshLoaders, parseEventCursor } from '../event-stream.ts';
import { requireRun } from '../lookups.ts';
import { RunEventRef } from './run-event.ts';

builder.subscriptionFields((t) => ({
  runEvents: t.field({
    type: RunEventRef,
    description:
      "The run's status changes, restarts, exceptions, checkpoints and savepoints, in order. `after`: " +
      'a cursor from an earlier event (what came after it is sent first), "HEAD" (only what happens ' +
      "from now on), or none (the run's whole history first). Completes once the run has ended and " +
      'its last event was sent.',
    args: {
      runId: t.arg.id({ required: true }),
      after: t.arg.string(),
    },
    subscribe: async (_root, args, ctx) => {
      requireRole(ctx, 'viewer');
      const run = await requireRun(args.runId, ctx, 'runId');
      const after = parseEventCursor(args.after, 'after', 0);
      return abortableStream((signal) =>
        watchRunEvents(ctx.database, ctx.settings.events, run.id, after, { signal }),
      );
    },
    resolve: (event, _args, ctx) => {
      freshLoaders(ctx);
      return event;
    },
  }),
}));
