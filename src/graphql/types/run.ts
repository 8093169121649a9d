import { and, eq } from 'drizzle-orm';
import { checkpoints, type runStatusHistory } from '../../db/schema/index.ts';
import { builder } from '../builder.ts';
import { requireJobByName, requireRun, requireRunByNumber } from '../lookups.ts';
import { mustExist } from '../must-exist.ts';
import { decodeKeyCursor, encodeKeyCursor, pageFromRows, pageSize } from '../pagination.ts';
import { RunStatusEnum, RunTriggerEnum } from './enums.ts';
import { metricKey } from '../../lib/metric-keys.ts';
import { CheckpointRef, JobRef, MetricRef, RunExceptionRef, RunRef, VertexRef } from './refs.ts';
import { runsPage } from './run-pages.ts';
import { runParts } from '../run-tree.ts';

const RunStatusChangeRef = builder
  .objectRef<typeof runStatusHistory.$inferSelect>('RunStatusChange')
  .implement({
    description: 'One transition of a run, with its time and cause.',
    fields: (t) => ({
      from: t.field({ type: RunStatusEnum, nullable: true, resolve: (h) => h.fromStatus }),
      to: t.field({ type: RunStatusEnum, resolve: (h) => h.toStatus }),
      cause: t.exposeString('cause', { nullable: true }),
      at: t.field({ type: 'DateTime', resolve: (h) => h.at }),
    }),
  });

RunExceptionRef.implement({
  description: 'A failure recorded against a run.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    message: t.exposeString('message'),
    stack: t.string({
      nullable: true,
      description: 'The stack trace, which names server paths: for admins only, null for other roles.',
      resolve: (e, _args, ctx) => (ctx.viewer?.role === 'admin' ? e.stack : null),
    }),
    vertex: t.exposeString('vertexName', { nullable: true }),
    subtaskIndex: t.exposeInt('subtaskIndex', { nullable: true }),
    global: t.exposeBoolean('global', { description: 'Whether this failure ended the run.' }),
  }),
});

RunRef.implement({
  description: 'One execution of a job version. Its id is 32 lowercase hex characters (a Flink JobID).',
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeInt('num', {
      description: 'The run number: runs are numbered 1, 2, ... in the order they were created.',
    }),
    status: t.field({ type: RunStatusEnum, resolve: (r) => r.status }),
    statusCause: t.exposeString('statusCause', { nullable: true }),
    waitingReason: t.field({
      type: 'String',
      nullable: true,
      description:
        'Why parts of the run wait to be placed (e.g. too few free slots); null when nothing waits.',
      resolve: (r, _a, ctx) => ctx.loaders.waitingReasonByRun.load(r.id),
    }),
    trigger: t.field({ type: RunTriggerEnum, resolve: (r) => r.trigger }),
    attempt: t.exposeInt('attempt', { description: 'Restarts so far (0 for the first attempt).' }),
    parallelism: t.exposeInt('parallelism'),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.startedAt }),
    endedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.endedAt }),
    durationMs: t.int({
      nullable: true,
      resolve: (r) => (r.startedAt ? (r.endedAt ?? new Date()).getTime() - r.startedAt.getTime() : null),
    }),
    job: t.field({
      type: JobRef,
      resolve: async (r, _a, ctx) => mustExist(await ctx.loaders.job.load(r.jobId), 'job', r.jobId),
    }),
    jobVersion: t.int({
      resolve: async (r, _a, ctx) =>
        mustExist(await ctx.loaders.jobVersion.load(r.jobVersionId), 'job version', r.jobVersionId).version,
    }),
    restoredFrom: t.field({
      type: CheckpointRef,
      nullable: true,
      resolve: (r, _a, ctx) => (r.restoredFromId ? ctx.loaders.checkpoint.load(r.restoredFromId) : null),
    }),
    savepoint: t.field({
      type: CheckpointRef,
      nullable: true,
      description: 'The savepoint triggered with this request id (triggerSavepoint, stopJob), if any.',
      args: { requestId: t.arg.string({ required: true }) },
      resolve: async (r, args, ctx) => {
        const [row] = await ctx.database.db
          .select()
          .from(checkpoints)
          .where(and(eq(checkpoints.runId, r.id), eq(checkpoints.requestId, args.requestId)));
        return row ?? null;
      },
    }),
    previousRun: t.field({
      type: RunRef,
      nullable: true,
      resolve: (r, _a, ctx) => (r.previousRunId ? ctx.loaders.run.load(r.previousRunId) : null),
    }),
    vertices: t.field({
      type: [VertexRef],
      resolve: async (r, _a, ctx) =>
        (await ctx.loaders.verticesByVersion.load(r.jobVersionId)).map((vertex) => ({ run: r, vertex })),
    }),
    checkpoints: t.connection({
      type: CheckpointRef,
      description: 'Checkpoints and savepoints of this run, newest first.',
      resolve: async (r, args, ctx) => {
        const limit = pageSize(args.first, 20);
        const after = decodeKeyCursor<number>(args.after, 'number');
        const rows = await ctx.loaders.checkpointPage.load({ runId: r.id, limit: limit + 1, below: after });
        return pageFromRows(rows, limit, (c) => encodeKeyCursor(c.number), after !== undefined);
      },
    }),
    metrics: t.field({
      type: [MetricRef],
      description:
        'Current run-level metrics: numRecordsIn (what sources read), numRecordsOut (what sinks wrote), their rates.',
      args: { names: t.arg.stringList({ description: 'Only these metrics.' }) },
      resolve: async (r, { names }, ctx) => {
        const rows = await ctx.loaders.metricsByKey.load(metricKey.run(r.id));
        return names ? rows.filter((m) => names.includes(m.name)) : rows;
      },
    }),
    exceptions: t.field({
      type: [RunExceptionRef],
      resolve: (r, _a, ctx) => ctx.loaders.exceptionsByRun.load(r.id),
    }),
    statusHistory: t.field({
      type: [RunStatusChangeRef],
      resolve: (r, _a, ctx) => ctx.loaders.statusHistoryByRun.load(r.id),
    }),
  }),
});

builder.queryFields((t) => ({
  run: t.field({
    type: RunRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx, info) => requireRun(id, ctx, 'id', runParts(info)),
  }),
  runByNumber: t.field({
    type: RunRef,
    description: 'A run by its number (Run.number).',
    args: { number: t.arg.int({ required: true }) },
    resolve: (_root, { number }, ctx) => requireRunByNumber(number, ctx),
  }),
  runs: t.connection({
    type: RunRef,
    description: 'Runs, newest first.',
    args: {
      job: t.arg.string({ description: 'Only the runs of the job with this name.' }),
      status: t.arg({ type: RunStatusEnum }),
    },
    resolve: async (_root, args, ctx) => {
      const jobId = args.job ? (await requireJobByName(args.job, ctx, 'job')).id : undefined;
      return runsPage(ctx, { jobId, status: args.status, first: args.first, after: args.after });
    },
  }),
}));
