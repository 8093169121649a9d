import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { heartbeatAgeMsSql, isNodeLive, type NodeRowWithAge } from '../../db/node-liveness.ts';
import { clusters, nodes } from '../../db/schema/index.ts';
import { checkName } from '../../runtime/index.ts';
import { NodeStatus } from '../../lib/status.ts';
import { mustExist } from '../must-exist.ts';
import { builder } from '../builder.ts';
import { NodeStatusEnum } from './enums.ts';
import { ClusterRef, MetricRef, SubtaskRef, WorkerNodeRef } from './refs.ts';
import { metricKey } from '../../lib/metric-keys.ts';

/** A node's status as readers see it: one that is not live (db/node-liveness.ts) is DOWN, whether
 * or not the coordinator has noticed yet. */
export function effectiveNodeStatus(node: NodeRowWithAge, heartbeatTimeoutMs: number): NodeStatus {
  return isNodeLive(node, heartbeatTimeoutMs) ? node.status : NodeStatus.DOWN;
}

export const TagRef = builder.objectRef<{ key: string; value: string }>('Tag').implement({
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

WorkerNodeRef.implement({
  description: 'A worker process that runs assignments: a Flink TaskManager, a Nomad client, a Dkron member.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    host: t.exposeString('host'),
    status: t.field({
      type: NodeStatusEnum,
      resolve: (n, _args, ctx) => effectiveNodeStatus(n, ctx.settings.heartbeatTimeoutMs),
    }),
    slots: t.exposeInt('slots'),
    slotsFree: t.int({
      resolve: async (n, _args, ctx) => {
        if (effectiveNodeStatus(n, ctx.settings.heartbeatTimeoutMs) !== NodeStatus.READY) return 0;
        return Math.max(0, n.slots - (await ctx.loaders.slotsUsedByNode.load(n.id)));
      },
    }),
    slotsUsed: t.int({ resolve: (n, _args, ctx) => ctx.loaders.slotsUsedByNode.load(n.id) }),
    metrics: t.field({
      type: [MetricRef],
      description:
        "The node's own metrics: cpuPercent, memoryRssBytes, heapUsedBytes, heapTotalBytes, slotsUsed, " +
        'slotsTotal, and its machine: cpuCores, memoryTotalBytes, memoryFreeBytes.',
      args: { names: t.arg.stringList({ description: 'Only these metrics.' }) },
      resolve: async (n, { names }, ctx) => {
        const rows = await ctx.loaders.metricsByKey.load(metricKey.node(n.id));
        return names ? rows.filter((m) => names.includes(m.name)) : rows;
      },
    }),
    subtasks: t.field({
      type: [SubtaskRef],
      description: 'The subtasks placed on this node that hold a slot now (SCHEDULED to RUNNING).',
      resolve: (n, _args, ctx) => ctx.loaders.liveSubtasksByNode.load(n.id),
    }),
    tags: t.field({
      type: [TagRef],
      resolve: (n) =>
        Object.entries(n.tags)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => ({ key, value })),
    }),
    version: t.exposeString('version'),
    registeredAt: t.field({ type: 'DateTime', resolve: (n) => n.registeredAt }),
    lastHeartbeatAt: t.field({ type: 'DateTime', resolve: (n) => n.lastHeartbeatAt }),
    cluster: t.field({
      type: ClusterRef,
      resolve: async (n, _args, ctx) =>
        mustExist(await ctx.loaders.cluster.load(n.clusterId), 'cluster', n.clusterId),
    }),
  }),
});

builder.queryFields((t) => ({
  gatewayNode: t.field({
    type: WorkerNodeRef,
    nullable: true,
    description: 'The worker node this gateway process hosts (embedded mode); null when it hosts none.',
    resolve: (_root, _args, ctx) => (ctx.settings.nodeId ? ctx.loaders.node.load(ctx.settings.nodeId) : null),
  }),
  nodes: t.field({
    type: [WorkerNodeRef],
    args: {
      cluster: t.arg.string({ description: 'Only the nodes of this cluster.' }),
      status: t.arg({ type: NodeStatusEnum, description: 'Only nodes with this (effective) status.' }),
    },
    resolve: async (_root, args, ctx) => {
      const where: SQL[] = [isNull(nodes.deregisteredAt)];
      if (args.cluster) checkName(args.cluster, 'cluster');
      if (args.cluster) where.push(eq(clusters.name, args.cluster));
      const rows = await ctx.database.db
        .select({ node: nodes, heartbeatAgeMs: sql<number>`${sql.raw(heartbeatAgeMsSql('nodes'))}` })
        .from(nodes)
        .innerJoin(clusters, eq(clusters.id, nodes.clusterId))
        .where(and(...where))
        .orderBy(asc(nodes.name), asc(nodes.id));
      const list = rows.map((r) => ({ ...r.node, heartbeatAgeMs: Number(r.heartbeatAgeMs) }));
      return args.status
        ? list.filter((n) => effectiveNodeStatus(n, ctx.settings.heartbeatTimeoutMs) === args.status)
        : list;
    },
  }),
}));
