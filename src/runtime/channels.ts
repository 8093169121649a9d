// Every LISTEN/NOTIFY channel of the runtime, and the helpers that send on them. A notification is
// only a wake-up (rows are the truth and every listener also polls), so a lost or extra one changes
// timing, never outcome; a failed send is therefore dropped.
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.ts';

/** Wakes coordinators: there may be something to place (a run started, a run reopened). The payload
 * is a hint (the run id). */
export const WORK_CHANNEL = 'jobgate_work';

/** Wakes event readers (the realtime feed); the payload is a hint (the run id). */
export const EVENTS_CHANNEL = 'jobgate_events';

/** Wakes log readers (the log feed) when a batch of a run's log lines commits; the payload is the
 * run id. Sent by the append statement itself (sql/append-log-lines.ts), so it goes out at commit. */
export const LOGS_CHANNEL = 'jobgate_logs';

/** The channel of one node: it is woken only when something concerns work placed on it (new
 * assignments, a checkpoint of a run it runs, a stop or cancel of such a run). Postgres channel
 * names are identifiers of at most 63 bytes; a uuid without dashes keeps this one at 45. */
export function nodeChannel(nodeId: string): string {
  return `jobgate_node_${nodeId.replaceAll('-', '')}`;
}

/** Wakes the coordinators. Pass a transaction as `executor` to send it at commit. */
export async function notifyCoordinators(
  database: Database,
  hint: string,
  executor?: Executor,
): Promise<void> {
  if (executor) await executor.execute(sql`select pg_notify(${WORK_CHANNEL}, ${hint})`);
  else await database.notify(WORK_CHANNEL, hint).catch(() => {});
}

/** Wakes each of these nodes once. */
export async function notifyNodes(database: Database, nodeIds: Iterable<string>): Promise<void> {
  for (const id of new Set(nodeIds)) await database.notify(nodeChannel(id), '').catch(() => {});
}

/** Wakes the nodes that hold a not yet ended assignment of these runs (a checkpoint to snapshot, a
 * stop or cancel to act on). */
export async function notifyNodesOfRuns(database: Database, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  const rows = await database
    .execute<{ node_id: string }>(
      sql`select distinct node_id from assignments
        where run_id in (select jsonb_array_elements_text(${JSON.stringify(runIds)}::jsonb))
          and node_id is not null and ended_at is null`,
    )
    .catch(() => []);
  await notifyNodes(
    database,
    rows.map((r) => r.node_id),
  );
}
