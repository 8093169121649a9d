import { eq } from 'drizzle-orm';
import { runs } from '../../db/schema/index.ts';
import { BadInputError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { CheckpointStatus, isTerminalRunStatus } from '../../lib/status.ts';
import { parseInput } from '../../lib/parse-input.ts';
import {
  checkpointPositions,
  requestStop,
  restartFailed,
  restartWhole,
  startJobInputSchema,
  startRun,
  triggerSavepoint,
} from '../../runtime/index.ts';
import type { GraphQLContext } from '../context.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { requireJobByName, requireRun } from '../lookups.ts';
import type { CheckpointRow, JobRow, RunRow } from '../../db/schema/index.ts';
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
  }),
});

const SavepointPayload = builder.objectRef<{ savepoint: CheckpointRow }>('SavepointPayload').implement({
  fields: (t) => ({ savepoint: t.field({ type: CheckpointRef, resolve: (p) => p.savepoint }) }),
});

/** The run once it has ended (a stop-with-savepoint takes a moment after the savepoint). */
async function waitForRunEnd(ctx: GraphQLContext, runId: string, waitMs: number): Promise<RunRow> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const [run] = await ctx.database.db.select().from(runs).where(eq(runs.id, runId));
    if (!run || isTerminalRunStatus(run.status) || Date.now() > deadline) return run!;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A savepoint or checkpoint a new run of `job` may start from; returns its id. */
async function checkRestorePoint(
  ctx: GraphQLContext,
  job: JobRow,
  id: string,
  allowNonRestoredState: boolean,
): Promise<string> {
  const path = 'input.fromSavepoint';
  if (!isUuid(id))
    throw new BadInputError(`${path}: ${JSON.stringify(id.slice(0, 60))} is not a savepoint id`, { path });
  const checkpoint = await ctx.loaders.checkpoint.load(id);
  if (!checkpoint) throw new NotFoundError('savepoint', id);
  if (checkpoint.status !== CheckpointStatus.COMPLETED) {
    throw new BadInputError(`${path}: savepoint ${id} is ${checkpoint.status}, not COMPLETED`, { path });
  }
  const run = await ctx.loaders.run.load(checkpoint.runId);
  if (run?.jobId !== job.id)
    throw new BadInputError(`${path}: savepoint ${id} belongs to another job`, { path });
  const positions = await checkpointPositions(ctx.database, id);
  const version = await ctx.loaders.currentVersionOfJob.load(job.id);
  const sources = new Set(
    (await ctx.loaders.verticesByVersion.load(version!.id))
      .filter((v) => v.kind === 'SOURCE')
      .map((v) => v.name),
  );
  const orphaned = Object.keys(positions).filter((name) => !sources.has(name));
  if (orphaned.length && !allowNonRestoredState) {
    throw new BadInputError(
      `${path}: the savepoint holds state for ${orphaned.map((n) => JSON.stringify(n)).join(', ')}, which the job no longer has; pass allowNonRestoredState: true to start without it`,
      { path },
    );
  }
  return id;
}

builder.mutationFields((t) => ({
  triggerSavepoint: t.field({
    type: SavepointPayload,
    description:
      'Triggers a savepoint on a running run and waits briefly for it; the same requestId never yields a second one.',
    args: { input: t.arg({ type: TriggerSavepointInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      await requireRun(input.runId, ctx, 'input.runId');
      return {
        savepoint: await triggerSavepoint(ctx.database, input.runId, {
          requestId: input.requestId,
          actor: viewer.name,
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
      parseInput(startJobInputSchema, input, 'input');
      const job = await requireJobByName(input.job, ctx, 'input.job');
      const restoredFromId = input.fromSavepoint
        ? await checkRestorePoint(ctx, job, input.fromSavepoint, input.allowNonRestoredState ?? false)
        : undefined;
      const run = await startRun(ctx.database, {
        jobId: job.id,
        trigger: 'API',
        actor: viewer.name,
        parallelism: input.parallelism ?? undefined,
        restoredFromId,
        commandsEnabled: ctx.settings.commandsEnabled,
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
        const savepoint = await triggerSavepoint(ctx.database, input.runId, {
          stopAfter: true,
          actor: viewer.name,
          waitMs: 30_000,
        });
        if (savepoint.status !== CheckpointStatus.COMPLETED) {
          const why = savepoint.failureReason ? `: ${savepoint.failureReason}` : '';
          throw new ConflictError(
            `the savepoint ${savepoint.id} did not complete (${savepoint.status}${why}); the run keeps running`,
            { details: { savepoint: savepoint.id } },
          );
        }
        return { run: await waitForRunEnd(ctx, input.runId, 30_000), savepoint };
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
      const policy = { commandsEnabled: ctx.settings.commandsEnabled };
      const run =
        input.mode === 'WHOLE'
          ? await restartWhole(ctx.database, input.runId, viewer.name, policy)
          : await restartFailed(ctx.database, input.runId, viewer.name, policy);
      return { run };
    },
  }),
}));
