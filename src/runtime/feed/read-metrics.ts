// The one read of a run's metric stream: the run's current metric values written since a moment
// (all of them the first time), in one prepared statement on the (run_id, at) index. A run whose
// metrics do not change costs an index probe that finds nothing.
import type { Database } from '../../db/client.ts';
import type { MetricRow } from '../../db/schema/index.ts';
import type { MetricScope } from '../../lib/status.ts';

const READ_SQL = `select key, name, scope, node_id::text as node_id, vertex_id::text as vertex_id,
    subtask_index, value::float8 as value, (extract(epoch from at) * 1000)::float8 as at_ms
  from metrics_current
  where run_id = $1 and at > to_timestamp($2::float8 / 1000)
  order by at`;

interface MetricReadRow {
  key: string;
  name: string;
  scope: MetricScope;
  node_id: string | null;
  vertex_id: string | null;
  subtask_index: number | null;
  value: number;
  at_ms: number;
}

/** The run's current metric values with `at` after `sinceMs` (ms since the epoch), oldest first. */
export async function readRunMetrics(
  database: Database,
  runId: string,
  sinceMs: number,
): Promise<MetricRow[]> {
  const rows = await database.query<MetricReadRow>(READ_SQL, [runId, sinceMs]);
  return rows.map((row) => ({
    key: row.key,
    name: row.name,
    scope: row.scope,
    runId,
    nodeId: row.node_id,
    vertexId: row.vertex_id,
    subtaskIndex: row.subtask_index === null ? null : Number(row.subtask_index),
    value: Number(row.value),
    at: new Date(Number(row.at_ms)),
  }));
}
