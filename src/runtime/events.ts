// Runtime events, named `noun:verb`. They are rows in one ordered table, so every process (every
// gateway's subscriptions) sees every event; a NOTIFY wakes listeners, the table is the truth.
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.ts';
import { events } from '../db/schema/index.ts';
import { EVENTS_CHANNEL } from './channels.ts';

export { EVENTS_CHANNEL } from './channels.ts';

export type RuntimeEventType =
  | 'run:created'
  | 'run:status'
  | 'checkpoint:triggered'
  | 'checkpoint:completed'
  | 'checkpoint:failed'
  | 'node:registered'
  | 'node:deregistered'
  | 'node:lost'
  | 'schedule:fired'
  | 'schedule:skipped';

export interface RuntimeEvent {
  type: RuntimeEventType;
  runId?: string;
  jobId?: string;
  nodeId?: string;
  checkpointId?: string;
  payload?: Record<string, unknown>;
}

/** Records an event; pass a transaction as `executor` so the event commits with the change it describes. */
export async function emitEvent(
  database: Database,
  event: RuntimeEvent,
  executor: Executor = database.db,
): Promise<void> {
  await executor.insert(events).values({
    type: event.type,
    runId: event.runId,
    jobId: event.jobId,
    nodeId: event.nodeId,
    checkpointId: event.checkpointId,
    payload: event.payload ?? {},
  });
  // Sent on the same executor, so inside a transaction it goes out at commit (and PGlite, which runs
  // one statement at a time, is not asked to run it beside the open transaction).
  await executor.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${event.runId ?? ''})`);
}
