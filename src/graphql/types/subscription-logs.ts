// The `logs` subscription: a run's log lines after a cursor, the history in pages and then live
// batches, through the runtime's shared log feed. Each batch carries the cursor that resumes right
// after it; the cursor is a line's seq, the same one `logLines` pages by.
import { BadInputError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/parse-input.ts';
import { runIdSchema, type LogBatch } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { requireRun } from '../lookups.ts';
import { LogLevelEnum } from './enums.ts';
import { logFilterFrom, LogLineRef, parseLogCursor } from './log-line.ts';

/** The `after` that asks for live lines only. */
const HEAD = 'HEAD';

const LogBatchRef = builder.objectRef<LogBatch>('LogBatch').implement({
  description: 'Lines of a run log in seq order, and the cursor that resumes right after them.',
  fields: (t) => ({
    cursor: t.string({
      description:
        'Pass as `after` (to `logs` or `logLines`) to continue right after this batch; it may lie ' +
        'beyond the last line when later lines did not match the filter.',
      resolve: (batch) => String(batch.cursor),
    }),
    lines: t.field({ type: [LogLineRef], resolve: (batch) => batch.lines }),
  }),
});

builder.subscriptionField('logs', (t) =>
  t.field({
    type: LogBatchRef,
    description:
      'A run log as it grows: the lines after `after` (a cursor from a batch or from `logLines`; ' +
      'none: from the first line; "HEAD": only lines written from now on), the history in pages, ' +
      'then live batches, none twice and none missing, on any gateway. Completes when the run has ' +
      'ended and every line was sent.',
    args: {
      runId: t.arg.id({ required: true }),
      after: t.arg.string(),
      level: t.arg({ type: LogLevelEnum, description: 'Only lines at or above this level.' }),
      vertex: t.arg.string({ description: 'Only lines of this vertex.' }),
      subtaskIndex: t.arg.int({ description: 'Only lines of this subtask index.' }),
      search: t.arg.string({ description: 'Only lines containing this text (case-insensitive).' }),
    },
    subscribe: async (_root, args, ctx) => {
      requireRole(ctx, 'viewer');
      const filter = logFilterFrom(args);
      // "HEAD" of a run this gateway already streams to others: the shared read found the run
      // moments ago and knows its head, so a reconnect storm of one run's subscribers costs one
      // lookup, not one each (runtime/feed/log-feed.ts knownHead). Anything else reads the run.
      if (args.after === HEAD) {
        parseInput(runIdSchema, args.runId, 'runId');
        const head = ctx.settings.logFeed.knownHead(args.runId);
        if (head !== undefined) return ctx.settings.logFeed.subscribe(args.runId, filter, head);
      }
      const run = await requireRun(args.runId, ctx, 'runId');
      const after = args.after === HEAD ? run.logSeq : parseLogCursor(args.after);
      if (after > run.logSeq) {
        throw new BadInputError(
          `after ${after} lies beyond the last line of run ${run.id} (seq ${run.logSeq}); pass a ` +
            `cursor this run's log gave out, "HEAD" or none`,
          { path: 'after' },
        );
      }
      return ctx.settings.logFeed.subscribe(run.id, filter, after);
    },
    resolve: (batch) => batch,
  }),
);
