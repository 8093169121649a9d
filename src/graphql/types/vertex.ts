import { SubtaskStatus } from '../../lib/status.ts';
import { redactSecrets } from '../../runtime/index.ts';
import { metricKey } from '../../lib/metric-keys.ts';
import { SubtaskStatusEnum, VertexKindEnum } from './enums.ts';
import { MetricRef, SubtaskRef, VertexRef } from './refs.ts';
import type { SubtaskRow } from '../../db/schema/index.ts';

/** A vertex's status from its subtasks, the way Flink aggregates an ExecutionJobVertex. */
export function vertexStatus(subtasks: SubtaskRow[]): SubtaskStatus {
  const { CREATED, SCHEDULED, DEPLOYING, RUNNING, FINISHED, CANCELING, CANCELED, FAILED } = SubtaskStatus;
  if (subtasks.length === 0) return CREATED;
  const has = (s: SubtaskStatus) => subtasks.some((st) => st.status === s);
  const all = (s: SubtaskStatus) => subtasks.every((st) => st.status === s);
  if (has(FAILED)) return FAILED;
  if (has(CANCELING)) return CANCELING;
  if (all(FINISHED)) return FINISHED;
  if (all(CANCELED)) return CANCELED;
  for (const s of [RUNNING, DEPLOYING, SCHEDULED]) if (has(s)) return s;
  if (has(CANCELED)) return CANCELED;
  return has(FINISHED) ? RUNNING : CREATED;
}

VertexRef.implement({
  description: 'One operator of the job DAG as it takes part in a run (a Flink JobVertex).',
  fields: (t) => ({
    id: t.id({ resolve: ({ vertex }) => vertex.id }),
    name: t.string({ resolve: ({ vertex }) => vertex.name }),
    kind: t.field({ type: VertexKindEnum, resolve: ({ vertex }) => vertex.kind }),
    plugin: t.string({ nullable: true, resolve: ({ vertex }) => vertex.plugin }),
    parallelism: t.int({ resolve: ({ vertex }) => vertex.parallelism }),
    config: t.field({
      type: 'JSON',
      description: 'The plugin options; secret-looking ones read [redacted], whoever asks.',
      resolve: ({ vertex }) => redactSecrets(vertex.config),
    }),
    inputs: t.stringList({
      description: 'Names of the vertices that feed this one.',
      resolve: async ({ run, vertex }, _a, ctx) => {
        const [edges, vertices] = await Promise.all([
          ctx.loaders.edgesByVersion.load(run.jobVersionId),
          ctx.loaders.verticesByVersion.load(run.jobVersionId),
        ]);
        const names = new Map(vertices.map((v) => [v.id, v.name]));
        return edges
          .filter((e) => e.toVertexId === vertex.id)
          .map((e) => names.get(e.fromVertexId) ?? e.fromVertexId);
      },
    }),
    status: t.field({
      type: SubtaskStatusEnum,
      resolve: async ({ run, vertex }, _a, ctx) =>
        vertexStatus((await ctx.loaders.subtasksByRun.load(run.id)).filter((s) => s.vertexId === vertex.id)),
    }),
    subtasks: t.field({
      type: [SubtaskRef],
      resolve: async ({ run, vertex }, _a, ctx) =>
        (await ctx.loaders.subtasksByRun.load(run.id)).filter((s) => s.vertexId === vertex.id),
    }),
    metrics: t.field({
      type: [MetricRef],
      description: 'Current vertex-level metrics (sums over its subtasks).',
      args: { names: t.arg.stringList({ description: 'Only these metrics.' }) },
      resolve: async ({ run, vertex }, { names }, ctx) => {
        const rows = await ctx.loaders.metricsByKey.load(metricKey.vertex(run.id, vertex.id));
        return names ? rows.filter((m) => names.includes(m.name)) : rows;
      },
    }),
  }),
});
