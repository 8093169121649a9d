import { sql } from 'drizzle-orm';
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
      const timeoutMs = ctx.settings.heartbeatTimeoutMs;
      const [row] = await ctx.database.execute<Record<string, number | string>>(sql`
        with live as (
          select id, slots, status from nodes
          where deregistered_at is null and status <> 'DOWN'
            and last_heartbeat_at > now() - ${timeoutMs}::int * interval '1 millisecond'
        ), used as (
          select count(*) as n from assignments a join live l on l.id = a.node_id
          where l.status = 'READY' and a.status in ('SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING')
        )
        select
          (select count(*) from clusters)::int as clusters,
          (select count(*) from live)::int as nodes,
          (select coalesce(sum(slots), 0) from live)::int as slots_total,
          greatest(0, (select coalesce(sum(slots), 0) from live where status = 'READY') - (select n from used))::int
            as slots_available,
          (select count(*) from runs where status not in ('FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'))::int
            as runs_running,
          (select count(*) from runs where status = 'FINISHED')::int as runs_finished,
          (select count(*) from runs where status = 'FAILED')::int as runs_failed,
          (select count(*) from runs where status in ('CANCELED', 'SUSPENDED'))::int as runs_canceled`);
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
