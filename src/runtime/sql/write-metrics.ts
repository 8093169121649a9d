import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { metricKey } from '../../lib/metric-keys.ts';

export interface SubtaskMetricSample {
  runId: string;
  vertexId: string;
  subtaskIndex: number;
  name: string;
  value: number;
}

/** A replication's own metrics, shown at the vertex and the run too. */
const REPLICATION_METRICS = ['rowsCopied', 'changesApplied', 'transactionsApplied', 'lagMs'];

/** Names whose vertex and run values are sums over subtasks. */
const SUMMED = [
  'numRecordsIn',
  'numRecordsOut',
  'numRecordsInPerSecond',
  'numRecordsOutPerSecond',
  'numBytesOut',
  // A replication's (one subtask per vertex, so a sum is the value itself, lag included).
  ...REPLICATION_METRICS,
];

/**
 * Writes the current subtask metrics of some runs, then re-aggregates their vertex and run scopes
 * and appends those to the history: three statements per flush, whatever the number of subtasks.
 * Run-level numRecordsIn counts what sources read, numRecordsOut what sinks wrote.
 */
export async function writeMetrics(
  database: Database,
  samples: readonly SubtaskMetricSample[],
): Promise<void> {
  if (samples.length === 0) return;
  const payload = JSON.stringify(
    samples.map((s) => ({
      k: metricKey.subtask(s.runId, s.vertexId, s.subtaskIndex),
      n: s.name,
      r: s.runId,
      v: s.vertexId,
      i: s.subtaskIndex,
      x: s.value,
    })),
  );
  const runIds = [...new Set(samples.map((s) => s.runId))];
  const runList = JSON.stringify(runIds);
  const summed = JSON.stringify(SUMMED);
  const replication = JSON.stringify(REPLICATION_METRICS);
  await database.execute(sql`
    insert into metrics_current (key, name, scope, run_id, vertex_id, subtask_index, value, at)
    select t.k, t.n, 'SUBTASK', t.r, t.v::uuid, t.i, t.x, now()
    from jsonb_to_recordset(${payload}::jsonb) as t(k text, n text, r text, v text, i int, x float8)
    on conflict (key, name) do update set value = excluded.value, at = excluded.at`);
  await database.execute(sql`
    with runs_touched as (select jsonb_array_elements_text(${runList}::jsonb) as run_id),
    vertex_sums as (
      select m.run_id, m.vertex_id, m.name, sum(m.value) as value
      from metrics_current m join runs_touched r on r.run_id = m.run_id
      where m.scope = 'SUBTASK' and m.name in (select jsonb_array_elements_text(${summed}::jsonb))
      group by m.run_id, m.vertex_id, m.name
    ),
    run_sums as (
      select vs.run_id, replace(vs.name, 'Out', 'In') as name, sum(vs.value) as value
      from vertex_sums vs join vertices v on v.id = vs.vertex_id
      where v.kind = 'SOURCE' and vs.name in ('numRecordsOut', 'numRecordsOutPerSecond')
      group by 1, 2
      union all
      select vs.run_id, vs.name, sum(vs.value)
      from vertex_sums vs join vertices v on v.id = vs.vertex_id
      where v.kind = 'SINK' and vs.name in ('numRecordsOut', 'numRecordsOutPerSecond', 'numBytesOut')
      group by 1, 2
      union all
      select vs.run_id, vs.name, sum(vs.value)
      from vertex_sums vs
      where vs.name in (select jsonb_array_elements_text(${replication}::jsonb))
      group by 1, 2
    ),
    rows as (
      select 'vertex:' || run_id || ':' || vertex_id as key, name, 'VERTEX' as scope, run_id, vertex_id, value
      from vertex_sums
      union all
      select 'run:' || run_id, name, 'RUN', run_id, null::uuid, value from run_sums
    ),
    upserted as (
      insert into metrics_current (key, name, scope, run_id, vertex_id, value, at)
      select key, name, scope, run_id, vertex_id, value, now() from rows
      on conflict (key, name) do update set value = excluded.value, at = excluded.at
      returning key, name, run_id, value
    )
    insert into metric_history (key, name, run_id, value, at)
    select key, name, run_id, value, now() from upserted`);
}
