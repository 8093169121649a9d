import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { metricKey } from '../../lib/metric-keys.ts';

/** A node's own metrics (CPU, memory, slots), current values and history, in one statement per
 * heartbeat. */
export async function writeNodeMetrics(
  database: Database,
  nodeId: string,
  values: Record<string, number>,
): Promise<void> {
  const key = metricKey.node(nodeId);
  const payload = JSON.stringify(Object.entries(values).map(([n, x]) => ({ n, x })));
  await database.execute(sql`
    with rows as (select t.n, t.x from jsonb_to_recordset(${payload}::jsonb) as t(n text, x float8)),
    upserted as (
      insert into metrics_current (key, name, scope, node_id, value, at)
      select ${key}, n, 'NODE', ${nodeId}::uuid, x, now() from rows
      on conflict (key, name) do update set value = excluded.value, at = excluded.at
      returning name, value
    )
    insert into metric_history (key, name, value, at) select ${key}, name, value, now() from upserted`);
}
