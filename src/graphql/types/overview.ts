import { sql } from 'drizzle-orm';
import { nodeIsLiveSql } from '../../db/node-liveness.ts';
import {
  ACTIVE_RUN_STATUSES,
  CANCELED_RUN_STATUSES,
  NodeStatus,
  RunStatus,
  SLOT_HOLDING_STATUSES,
  sqlLiteral,
} from '../../lib/status.ts';
import { VERSION } from '../../lib/version.ts';
import { builder } from '../builder.ts';

interface OverviewShape {
  version: string;
  clusters: number;
  nodes: number;
  slotsTotal: number;
  slotsAvailable: number;
  runsRunning: number;
  runsFinished: number;
  runsFailed: number;
  runsCanceled: number;
}

const OverviewRef = builder.objectRef<OverviewShape>('Overview').implement({
  description: 'Counts over the whole installation (what Flink shows on /overview).',
  fields: (t) => ({
    version: t.exposeString('version'),
    clusters: t.exposeInt('clusters'),
    nodes: t.exposeInt('nodes', { description: 'Nodes that are up (READY or DRAINING).' }),
    slotsTotal: t.exposeInt('slotsTotal', { description: 'Slots of the nodes that are up.' }),
    slotsAvailable: t.exposeInt('slotsAvailable', { description: 'Free slots of READY nodes.' }),
    runsRunning: t.exposeInt('runsRunning', { description: 'Runs not yet in a terminal status.' }),
    runsFinished: t.exposeInt('runsFinished'),
    runsFailed: t.exposeInt('runsFailed'),
    runsCanceled: t.exposeInt('runsCanceled', { description: 'CANCELED and SUSPENDED runs.' }),
  }),
});

builder.queryFields((t) => ({
  overview: t.field({
    type: OverviewRef,
    // One statement: the counts come from small aggregates over indexed columns.
    resolve: async (_root, _args, ctx) => {
      const live = sql.raw(nodeIsLiveSql('n', ctx.settings.heartbeatTimeoutMs));
      const set = (values: string | readonly string[]) => sql.raw(sqlLiteral(values));
      const [row] = await ctx.database.execute<Record<string, number | string>>(sql`
        with live as (
          select id, slots, status from nodes n where ${live}
        ), used as (
          select count(*) as n from assignments a join live l on l.id = a.node_id
          where l.status = ${set(NodeStatus.READY)} and a.status in ${set(SLOT_HOLDING_STATUSES)}
        )
        select
          (select count(*) from clusters)::int as clusters,
          (select count(*) from live)::int as nodes,
          (select coalesce(sum(slots), 0) from live)::int as slots_total,
          greatest(0, (select coalesce(sum(slots), 0) from live where status = ${set(NodeStatus.READY)})
            - (select n from used))::int as slots_available,
          (select count(*) from runs where status in ${set(ACTIVE_RUN_STATUSES)})::int as runs_running,
          (select count(*) from runs where status = ${set(RunStatus.FINISHED)})::int as runs_finished,
          (select count(*) from runs where status = ${set(RunStatus.FAILED)})::int as runs_failed,
          (select count(*) from runs where status in ${set(CANCELED_RUN_STATUSES)})::int as runs_canceled`);
      const n = (key: string) => Number(row?.[key] ?? 0);
      return {
        version: VERSION,
        clusters: n('clusters'),
        nodes: n('nodes'),
        slotsTotal: n('slots_total'),
        slotsAvailable: n('slots_available'),
        runsRunning: n('runs_running'),
        runsFinished: n('runs_finished'),
        runsFailed: n('runs_failed'),
        runsCanceled: n('runs_canceled'),
      };
    },
  }),
}));
