import { BadInputError } from '../../lib/errors.ts';
import { requestStop, restartFailed, restartWhole, startRun } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { requireJobByName, requireRun } from '../lookups.ts';
import type { RunRow } from '../loaders.ts';
import { CheckpointRef, RunRef } from './refs.ts';

const RestartModeEnum = builder.enumType('RestartMode', {
  values: {
    WHOLE: { description: 'A new run of the same job version (from the latest completed checkpoint).' },
    FAILED: { description: 'The same run re-executes only what failed or never ran.' },
  } as const,
});

const StartJobInput = builder.inputType('StartJobInput', {
  fields: (t) => ({
    job: t.string({ required: true, description: 'The job name.' }),
    fromSavepoint: t.id({ description: 'Restore from this savepoint or checkpoint id.' }),
    parallelism: t.int({ description: 'Override the job parallelism for this run.' }),
    allowNonRestoredState: t.boolean({
      description: 'Start even if some saved state has no vertex to go to.',
    }),
  }),
});

const StopJobInput = builder.inputType('StopJobInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    withSavepoint: t.boolean({ description: 'Take a savepoint first and end SUSPENDED.' }),
    drain: t.boolean({
      description: 'End FINISHED instead of CANCELED once in-flight records reached the sinks.',
    }),
  }),
});

const RunIdInput = builder.inputType('CancelJobInput', {
  fields: (t) => ({ runId: t.id({ required: true }) }),
});
const RestartJobInput = builder.inputType('RestartJobInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    mode: t.field({ type: RestartModeEnum, required: true }),
  }),
});

const RunPayload = builder.objectRef<{ run: RunRow }>('RunPayload').implement({
  fields: (t) => ({ run: t.field({ type: RunRef, resolve: (p) => p.run }) }),
});
const StopJobPayload = builder.objectRef<{ run: RunRow; savepoint: null }>('StopJobPayload').implement({
  fields: (t) => ({
    run: t.field({ type: RunRef, resolve: (p) => p.run }),
    savepoint: t.field({ type: CheckpointRef, nullable: true, resolve: (p) => p.savepoint }),
  }),
});

builder.mutationFields((t) => ({
  startJob: t.field({
    type: RunPayload,
    description:
      'Starts a new run; it is returned at once (CREATED or later) and proceeds in the background.',
    args: { input: t.arg({ type: StartJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      const job = await requireJobByName(input.job, ctx);
      if (input.fromSavepoint) {
        throw new BadInputError('input.fromSavepoint: restoring from savepoints is not available yet', {
          path: 'input.fromSavepoint',
        });
      }
      if (
        input.parallelism != null &&
        (!Number.isInteger(input.parallelism) || input.parallelism < 1 || input.parallelism > 256)
      ) {
        throw new BadInputError('input.parallelism: must be an integer from 1 to 256', {
          path: 'input.parallelism',
        });
      }
      const run = await startRun(ctx.database, {
        jobId: job.id,
        trigger: 'API',
        actor: viewer.name,
        parallelism: input.parallelism ?? undefined,
      });
      return { run };
    },
  }),
  stopJob: t.field({
    type: StopJobPayload,
    description:
      'Stops a run gracefully: sources stop, in-flight records reach the sinks; ends CANCELED (FINISHED with drain).',
    args: { input: t.arg({ type: StopJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      await requireRun(input.runId, ctx, 'input.runId');
      if (input.withSavepoint) {
        throw new BadInputError('input.withSavepoint: stop-with-savepoint is not available yet', {
          path: 'input.withSavepoint',
        });
      }
      const run = await requestStop(ctx.database, input.runId, input.drain ? 'DRAIN' : 'STOP', viewer.name);
      return { run, savepoint: null };
    },
  }),
  cancelJob: t.field({
    type: RunPayload,
    description: 'Cancels a run at once: subtasks are killed, the run ends CANCELED.',
    args: { input: t.arg({ type: RunIdInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      await requireRun(input.runId, ctx, 'input.runId');
      return { run: await requestStop(ctx.database, input.runId, 'CANCEL', viewer.name) };
    },
  }),
  restartJob: t.field({
    type: RunPayload,
    args: { input: t.arg({ type: RestartJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      await requireRun(input.runId, ctx, 'input.runId');
      const run =
        input.mode === 'WHOLE'
          ? await restartWhole(ctx.database, input.runId, viewer.name)
          : await restartFailed(ctx.database, input.runId, viewer.name);
      return { run };
    },
  }),
}));
