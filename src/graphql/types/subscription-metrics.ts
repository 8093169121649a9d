// The `metrics` subscription: a run's current metric values (run, vertex and subtask scopes) as
// they change, coalesced to the newest value and sent at most once per interval, through the
// runtime's shared metric feed.
import { BadInputError } from '../../lib/errors.ts';
import { DEFAULT_METRIC_INTERVAL_MS, type MetricUpdate } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { requireRun } from '../lookups.ts';
import { MetricRef } from './refs.ts';

const MAX_INTERVAL_MS = 3_600_000;
const MAX_NAMES = 100;

const MetricUpdateRef = builder.objectRef<MetricUpdate>('MetricUpdate').implement({
  description:
    'The metric values of a run that changed since the previous update (every value in the first).',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (update) => update.at }),
    values: t.field({ type: [MetricRef], resolve: (update) => update.values }),
  }),
});

builder.subscriptionField('metrics', (t) =>
  t.field({
    type: MetricUpdateRef,
    description:
      "A run's metrics as they change: first every current value, then the values that changed, " +
      'newest only, at most once per `intervalMs`; nothing is sent while nothing changes.',
    args: {
      runId: t.arg.id({ required: true }),
      names: t.arg.stringList({ description: 'Only these metric names (default: all).' }),
      intervalMs: t.arg.int({
        description: `At most one update per this many ms (default ${DEFAULT_METRIC_INTERVAL_MS}).`,
      }),
    },
    subscribe: async (_root, args, ctx) => {
      requireRole(ctx, 'viewer');
      const run = await requireRun(args.runId, ctx, 'runId');
      const floor = ctx.settings.metricFeed.minIntervalMs;
      const intervalMs = args.intervalMs ?? DEFAULT_METRIC_INTERVAL_MS;
      if (intervalMs < floor || intervalMs > MAX_INTERVAL_MS) {
        throw new BadInputError(
          `intervalMs must be between ${floor} and ${MAX_INTERVAL_MS}, got ${intervalMs}`,
          {
            path: 'intervalMs',
          },
        );
      }
      if (args.names && args.names.length > MAX_NAMES) {
        throw new BadInputError(`names may list at most ${MAX_NAMES} metrics, got ${args.names.length}`, {
          path: 'names',
        });
      }
      return ctx.settings.metricFeed.watch(run.id, { names: args.names ?? undefined, intervalMs });
    },
    resolve: (update) => update,
  }),
);
