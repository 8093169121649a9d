import { asc, eq } from 'drizzle-orm';
import { subtaskAttempts } from '../../db/schema/index.ts';
import { builder } from '../builder.ts';
import { SubtaskStatusEnum } from './enums.ts';
import { metricKey } from '../../lib/metric-keys.ts';
import { MetricRef, SubtaskRef, WorkerNodeRef } from './refs.ts';

const SubtaskAttemptRef = builder.objectRef<typeof subtaskAttempts.$inferSelect>('SubtaskAttempt').implement({
  description: 'One numbered attempt of a subtask, on the node it ran on.',
  fields: (t) => ({
    attempt: t.exposeInt('attempt'),
    status: t.field({ type: SubtaskStatusEnum, resolve: (a) => a.status }),
    node: t.field({
      type: WorkerNodeRef,
      nullable: true,
      resolve: (a, _args, ctx) => (a.nodeId ? ctx.loaders.node.load(a.nodeId) : null),
    }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    failure: t.exposeString('failure', { nullable: true }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.startedAt }),
    endedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.endedAt }),
  }),
});

SubtaskRef.implement({
  description: 'One parallel instance of a vertex in a run (a Flink subtask; its attempts are executions).',
  fields: (t) => ({
    id: t.exposeID('id'),
    index: t.exposeInt('index'),
    status: t.field({ type: SubtaskStatusEnum, resolve: (s) => s.status }),
    attempt: t.exposeInt('attempt'),
    node: t.field({
      type: WorkerNodeRef,
      nullable: true,
      resolve: (s, _args, ctx) => (s.nodeId ? ctx.loaders.node.load(s.nodeId) : null),
    }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.startedAt }),
    endedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.endedAt }),
    runId: t.id({ description: 'The run this subtask belongs to.', resolve: (s) => s.runId }),
    vertexId: t.id({ description: 'The vertex this subtask is an instance of.', resolve: (s) => s.vertexId }),
    metrics: t.field({
      type: [MetricRef],
      description: "This subtask's current metrics (numRecordsIn, numRecordsOut, their rates, numBytesOut).",
      args: { names: t.arg.stringList({ description: 'Only these metrics.' }) },
      resolve: async (s, { names }, ctx) => {
        const rows = await ctx.loaders.metricsByKey.load(metricKey.subtask(s.runId, s.vertexId, s.index));
        return names ? rows.filter((m) => names.includes(m.name)) : rows;
      },
    }),
    attempts: t.field({
      type: [SubtaskAttemptRef],
      resolve: (s, _args, ctx) =>
        ctx.database.db
          .select()
          .from(subtaskAttempts)
          .where(eq(subtaskAttempts.subtaskId, s.id))
          .orderBy(asc(subtaskAttempts.attempt)),
    }),
  }),
});
