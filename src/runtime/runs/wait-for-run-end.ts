// Waiting for a run to end: woken by its `run:status` events, decided by its row.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { runs } from '../../db/schema/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isTerminalRunStatus } from '../../lib/status.ts';
import type { EventFeed, WaitLimits } from '../feed/event-feed.ts';
import type { RunRow } from '../../db/schema/index.ts';

/** The run once its status is terminal; WaitTimeoutError when `timeoutMs` passes first. */
export async function waitForRunEnd(
  database: Database,
  feed: EventFeed,
  runId: string,
  options: WaitLimits = {},
): Promise<RunRow> {
  return feed.waitFor(
    { runId, types: ['run:status'] },
    async () => {
      const [run] = await database.db.select().from(runs).where(eq(runs.id, runId));
      if (!run) throw new NotFoundError('run', runId);
      return isTerminalRunStatus(run.status) ? run : undefined;
    },
    { ...options, what: `run ${runId} to end` },
  );
}
