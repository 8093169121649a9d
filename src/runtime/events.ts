// Runtime events, named `noun:verb`. They are rows in one ordered table, so every process (every
// gateway's subscriptions) sees every event; a NOTIFY wakes listeners, the table is the truth.
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.ts';
import { events } from '../db/schema/index.ts';
import { EVENTS_CHANNEL } from './channels.ts';

export { EVENTS_CHANNEL } from './channels.ts';

/** Every event type, in the order the API lists them. */
export const RUNTIME_EVENT_TYPES = [
  'run:created',
  'run:status',
  // A new attempt of the run (the restart strategy, or restartJob of an ended run).
  'run:restarted',
  // A failure recorded against the run (a subtask failed, its node was lost).
  'run:exception',
  'checkpoint:triggered',
  'checkpoint:completed',
  'checkpoint:failed',
  'node:registered',
  'node:draining',
  // A DRAINING node takes work again.
  'node:resumed',
  'node:lost',
  'node:deregistered',
  'schedule:fired',
  'schedule:skipped',
] as const;

export type RuntimeEventType = (typeof RUNTIME_EVENT_TYPES)[number];

/** What happens to the nodes of a cluster (the cluster feed). */
export const NODE_EVENT_TYPES = [
  'node:registered',
  'node:draining',
  'node:resumed',
  'node:lost',
  'node:deregistered',
] as const satisfies readonly RuntimeEventType[];

export interface RuntimeEvent {
  type: RuntimeEventType;
  runId?: string;
  jobId?: string;
  nodeId?: string;
  checkpointId?: string;
  payload?: Record<string, unknown>;
}

/** Records an event; pass a transaction as `executor` so the event commits with the change it describes.
 * An event about a run that does not name its job gets the run's (so a job's feed sees its runs'
 * checkpoint events too). */
export async function emitEvent(
  database: Database,
  event: RuntimeEvent,
  executor: Executor = database.db,
): Promise<void> {
  await executor.insert(events).values({
    type: event.type,
    runId: event.runId,
    jobId:
      event.jobId ?? (event.runId ? sql`(select job_id from runs where id = ${event.runId})` : undefined),
    nodeId: event.nodeId,
    checkpointId: event.checkpointId,
    payload: event.payload ?? {},
  });
  // Sent on the same executor, so inside a transaction it goes out at commit (and PGlite, which runs
  // one statement at a time, is not asked to run it beside the open transaction).
  await executor.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${event.runId ?? ''})`);
}
