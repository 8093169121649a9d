// Stopping a run on request, with or without a savepoint: the rule and its waits in one place, so a
// resolver and a dialect route (Flink's stop, SeaTunnel's stop-job) answer the same.
import type { Database } from '../../db/client.ts';
import { eq } from 'drizzle-orm';
import { runs } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { CheckpointStatus } from '../../lib/status.ts';
import { triggerSavepoint } from '../checkpoints/savepoints.ts';
import { WaitTimeoutError, type EventFeed } from '../feed/event-feed.ts';
import { requestStop } from './control.ts';
import type { CheckpointRow, RunRow } from '../../db/schema/index.ts';
import { waitForRunEnd } from './wait-for-run-end.ts';

async function readRun(database: Database, runId: string): Promise<RunRow> {
  const [run] = await database.db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new NotFoundError('run', runId);
  return run;
}

export interface StopRunInput {
  runId: string;
  /** Take a savepoint first and end SUSPENDED (FINISHED with drain). */
  withSavepoint?: boolean | null;
  /** End FINISHED instead of CANCELED once in-flight records reached the sinks. */
  drain?: boolean | null;
  /** The savepoint's request id (with withSavepoint): the same one never takes a second savepoint,
   * so a retried stop is safe. */
  requestId?: string | null;
  /** With withSavepoint, false answers as soon as the savepoint is triggered (Flink's /stop, which is
   * polled); default true: once the savepoint completed and the run ended. */
  wait?: boolean | null;
}

/** How long a stop-with-savepoint waits for the savepoint, then for the run to end. */
export const STOP_WITH_SAVEPOINT_WAIT_MS = 30_000;

/** Stops a run gracefully; with a savepoint, answers once the savepoint completed and the run ended. */
export async function stopRun(
  database: Database,
  feed: EventFeed,
  input: StopRunInput,
  actor: string,
): Promise<{ run: RunRow; savepoint: CheckpointRow | null }> {
  if (input.withSavepoint && input.wait === false) {
    const savepoint = await triggerSavepoint(database, feed, input.runId, {
      stopAfter: true,
      drain: input.drain ?? false,
      requestId: input.requestId,
      actor,
      waitMs: 0,
    });
    return { run: await readRun(database, input.runId), savepoint };
  }
  if (input.withSavepoint) {
    const options = { requestId: input.requestId, drain: input.drain ?? false };
    return stopWithSavepoint(database, feed, input.runId, actor, options);
  }
  const run = await requestStop(database, input.runId, input.drain ? 'DRAIN' : 'STOP', actor);
  return { run, savepoint: null };
}

/**
 * Triggers a savepoint that stops the run at its barrier, waits for it to complete, then for the run
 * to end SUSPENDED (FINISHED when it drains). A savepoint that fails (or does not complete in time)
 * leaves the run running.
 */
export async function stopWithSavepoint(
  database: Database,
  feed: EventFeed,
  runId: string,
  actor: string,
  options: { waitMs?: number; requestId?: string | null; drain?: boolean } = {},
): Promise<{ run: RunRow; savepoint: CheckpointRow }> {
  const { waitMs = STOP_WITH_SAVEPOINT_WAIT_MS, requestId, drain } = options;
  const savepoint = await triggerSavepoint(database, feed, runId, {
    stopAfter: true,
    drain,
    actor,
    waitMs,
    requestId,
  });
  if (savepoint.status !== CheckpointStatus.COMPLETED) {
    const why = savepoint.failureReason ? `: ${savepoint.failureReason}` : '';
    throw new ConflictError(
      `the savepoint ${savepoint.id} did not complete (${savepoint.status}${why}); the run keeps running`,
      { details: { savepoint: savepoint.id } },
    );
  }
  try {
    return { run: await waitForRunEnd(database, feed, runId, { timeoutMs: waitMs }), savepoint };
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    throw new ConflictError(
      `the savepoint ${savepoint.id} completed, but run ${runId} did not end within ${waitMs} ms; it ends SUSPENDED once its subtasks stop`,
      { cause: err, details: { savepoint: savepoint.id } },
    );
  }
}
