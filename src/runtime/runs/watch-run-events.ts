// A run's events as a stream that ends: what happened to the run after a cursor (its status
// changes, restarts, exceptions, checkpoints and savepoints), then what happens to it live, until
// the run has ended and nothing more can be said about it.
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { checkpoints, runs } from '../../db/schema/index.ts';
import type { RunStatus } from '../../lib/status.ts';
import { CheckpointStatus, isTerminalRunStatus } from '../../lib/status.ts';
import type { EventFeed, SubscribeOptions } from '../feed/event-feed.ts';
import type { FeedEvent } from '../feed/event-filter.ts';
import type { RuntimeEventType } from '../events.ts';

/** Events after which an ended run may have nothing more to say. */
const SETTLING: readonly RuntimeEventType[] = ['run:status', 'checkpoint:completed', 'checkpoint:failed'];

/**
 * The run's events after `after` (undefined: from now on), in order, none twice. It ends once the
 * run is in a terminal status with no checkpoint still in progress (a checkpoint that was in flight
 * when the run ended still fails or completes, and that is its last event), after every event up to
 * then was sent; a run that ended earlier gets its history after the cursor and the end at once.
 */
export async function* watchRunEvents(
  database: Database,
  feed: EventFeed,
  runId: string,
  after: number | undefined,
  options: SubscribeOptions = {},
): AsyncGenerator<FeedEvent> {
  const start = await readRunEnd(database, runId);
  if (start.settled) {
    if (after !== undefined) yield* readRest(feed, runId, after);
    return;
  }
  let ended = start.terminal;
  let cursor = after;
  for await (const event of feed.subscribe({ runId }, after, options)) {
    yield event;
    cursor = event.id;
    if (event.type === 'run:status' && isTerminalRunStatus(event.payload.to as RunStatus)) ended = true;
    if (ended && SETTLING.includes(event.type) && (await readRunEnd(database, runId)).settled) {
      // The truth says nothing more comes: what committed up to now is all there is.
      yield* readRest(feed, runId, cursor);
      return;
    }
  }
}

/** Whether the run has ended, and whether nothing can happen to it any more (no checkpoint in
 * progress); a run that does not exist has nothing to say either. */
async function readRunEnd(
  database: Database,
  runId: string,
): Promise<{ terminal: boolean; settled: boolean }> {
  const [row] = await database.db
    .select({
      status: runs.status,
      checkpointOpen: sql<boolean>`exists (${database.db
        .select({ one: sql`1` })
        .from(checkpoints)
        .where(and(eq(checkpoints.runId, runId), eq(checkpoints.status, CheckpointStatus.IN_PROGRESS)))})`,
    })
    .from(runs)
    .where(eq(runs.id, runId));
  if (!row) return { terminal: true, settled: true };
  const terminal = isTerminalRunStatus(row.status);
  return { terminal, settled: terminal && !row.checkpointOpen };
}

/** Every event of the run after `cursor` in the table, page by page. */
async function* readRest(feed: EventFeed, runId: string, cursor: number): AsyncGenerator<FeedEvent> {
  for (;;) {
    const page = await feed.after(cursor, { runId });
    for (const event of page) {
      yield event;
      cursor = event.id;
    }
    if (page.length === 0) return;
  }
}
