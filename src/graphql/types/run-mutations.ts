import {
  cancelStep,
  MAX_START_DELAY_SECONDS,
  requestStop,
  restartRun,
  startJob,
  stopRun,
  triggerSavepoint,
} from '../../runtime/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { requireRun } from '../lookups.ts';
import type { GraphQLContext, Viewer } from '../context.ts';
import type { CheckpointRow, RunRow } from '../../db/schema/index.ts';
import { CheckpointRef, RunRef } from './refs.ts';

/** The longest a triggerSavepoint may wait for its savepoint. */
const MAX_SAVEPOINT_WAIT_MS = 30_000;

const RestartModeEnum = builder.enumType('RestartMode', {
  values: {
    WHOLE: { description: 'A new run of the same job version (from the latest completed checkpoint).' },
    FAILED: { description: 'The same run re-executes only what failed or never ran.' },
    STEPS: {
      description:
        'The same (FAILED or CANCELED) steps run re-executes only the steps named in `steps`, whatever they ended as.',
    },
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
    delaySeconds: t.int({
      description: `Place the run no sooner than this many seconds from now, 0 to ${MAX_START_DELAY_SECONDS}; the run exists (CREATED) at once.`,
    }),
  }),
});

const StopJobInput = builder.inputType('StopJobInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    withSavepoint: t.boolean({ description: 'Take a savepoint first and end SUSPENDED.' }),
    drain: t.boolean({
      description:
        'End FINISHED instead of CANCELED once in-flight records reached the sinks (with withSavepoint: FINISHED instead of SUSPENDED).',
    }),
    requestId: t.string({
      description:
        'With withSavepoint: client-chosen id of the savepoint; a retried stop with the same one takes no second savepoint.',
    }),
    wait: t.boolean({
      description:
        'With withSavepoint: false answers once the savepoint is triggered (poll Run.savepoint(requestId)); default true: once it completed and the run ended.',
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
    steps: t.stringList({ description: 'With mode STEPS: the names of the steps to run again.' }),
  }),
});

const CancelStepInput = builder.inputType('CancelStepInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    step: t.string({ required: true, description: 'The name of a running step of a steps run.' }),
  }),
});

const RunPayload = builder.objectRef<{ run: RunRow }>('RunPayload').implement({
  fields: (t) => ({ run: t.field({ type: RunRef, resolve: (p) => p.run }) }),
});
const StopJobPayload = builder
  .objectRef<{ run: RunRow; savepoint: CheckpointRow | null }>('StopJobPayload')
  .implement({
    fields: (t) => ({
      run: t.field({ type: RunRef, resolve: (p) => p.run }),
      savepoint: t.field({ type: CheckpointRef, nullable: true, resolve: (p) => p.savepoint }),
    }),
  });

const TriggerSavepointInput = builder.inputType('TriggerSavepointInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    requestId: t.string({ description: 'Client-chosen id: the same one never yields a second savepoint.' }),
    waitMs: t.int({
      description: `How long to wait for the savepoint to settle, 0 to ${MAX_SAVEPOINT_WAIT_MS} ms (default 10000); 0 answers at once, IN_PROGRESS.`,
    }),
    stopAfter: t.boolean({
      description: 'Stop the run at the savepoint: it ends SUSPENDED (Flink cancel-job).',
    }),
  }),
});

const SavepointPayload = builder.objectRef<{ savepoint: CheckpointRow }>('SavepointPayload').implement({
  fields: (t) => ({ savepoint: t.field({ type: CheckpointRef, resolve: (p) => p.savepoint }) }),
});

/** What each mutation of an existing run needs: an operator, naming a run that exists (in that order). */
async function operatorOnRun(ctx: GraphQLContext, runId: string): Promise<Viewer> {
  const viewer = requireRole(ctx, 'operator');
  await requireRun(runId, ctx, 'input.runId');
  return viewer;
}

builder.mutationFields((t) => ({
  triggerSavepoint: t.field({
    type: SavepointPayload,
    description:
      'Triggers a savepoint on a running run and waits briefly for it; the same requestId never yields a second one.',
    args: { input: t.arg({ type: TriggerSavepointInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = await operatorOnRun(ctx, input.runId);
      const waitMs = input.waitMs ?? undefined;
      if (waitMs !== undefined && (waitMs < 0 || waitMs > MAX_SAVEPOINT_WAIT_MS)) {
        const message = `input.waitMs: must be from 0 to ${MAX_SAVEPOINT_WAIT_MS}`;
        throw new BadInputError(message, { path: 'input.waitMs' });
      }
      return {
        savepoint: await triggerSavepoint(ctx.database, ctx.settings.events, input.runId, {
          requestId: input.requestId,
          actor: viewer.name,
          waitMs,
          stopAfter: input.stopAfter ?? false,
        }),
      };
    },
  }),
  startJob: t.field({
    type: RunPayload,
    description:
      'Starts a new run; it is returned at once (CREATED or later) and proceeds in the background.',
    args: { input: t.arg({ type: StartJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      const actor = { name: viewer.name, commandsEnabled: ctx.settings.commandsEnabled };
      return { run: await startJob(ctx.database, input, actor) };
    },
  }),
  stopJob: t.field({
    type: StopJobPayload,
    description:
      'Stops a run gracefully: sources stop, in-flight records reach the sinks; ends CANCELED (FINISHED with drain).',
    args: { input: t.arg({ type: StopJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = await operatorOnRun(ctx, input.runId);
      return stopRun(ctx.database, ctx.settings.events, input, viewer.name);
    },
  }),
  cancelJob: t.field({
    type: RunPayload,
    description: 'Cancels a run at once: subtasks are killed, the run ends CANCELED.',
    args: { input: t.arg({ type: RunIdInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = await operatorOnRun(ctx, input.runId);
      return { run: await requestStop(ctx.database, input.runId, 'CANCEL', viewer.name) };
    },
  }),
  restartJob: t.field({
    type: RunPayload,
    args: { input: t.arg({ type: RestartJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = await operatorOnRun(ctx, input.runId);
      const policy = { commandsEnabled: ctx.settings.commandsEnabled };
      const run = await restartRun(ctx.database, input.runId, input.mode, viewer.name, policy, input.steps);
      return { run };
    },
  }),
  cancelStep: t.field({
    type: RunPayload,
    description:
      'Kills one running step of a steps run: its process ends, the step fails, what depends on it is skipped. CONFLICT when the step is not running.',
    args: { input: t.arg({ type: CancelStepInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = await operatorOnRun(ctx, input.runId);
      if (input.step.length > 100) {
        throw new BadInputError('input.step: at most 100 characters', { path: 'input.step' });
      }
      return { run: await cancelStep(ctx.database, input.runId, input.step, viewer.name) };
    },
  }),
}));
