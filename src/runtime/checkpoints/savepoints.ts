// Savepoints: checkpoints taken on request, idempotent on the client's request id.
import { randomUUID } from 'node:crypto';
import { and, count, eq, ne, sql } from 'drizzle-orm';
import { executeIn, type Database } from '../../db/client.ts';
import { assignments, auditEvents, checkpoints, runs, type CheckpointRow } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError, PG_UNIQUE_VIOLATION, pgErrorCode } from '../../lib/errors.ts';
import { parseInput } from '../../lib/parse-input.ts';
import { CheckpointStatus, RunStatus, SubtaskStatus } from '../../lib/status.ts';
import { emitEvent } from '../events.ts';
import { notifyNodesOfRuns } from '../channels.ts';
import { savepointRequestIdSchema } from '../runs/run-inputs.ts';
import { lockRun } from '../runs/transition-run.ts';
import { WaitTimeoutError, type EventFeed, type WaitLimits } from '../feed/event-feed.ts';

/**
 * Triggers a savepoint of a RUNNING pipeline run and waits up to `waitMs` (default 10 s; 0: not at
 * all) for it to settle. The
 * same requestId returns the savepoint it made the first time, whatever state it is in.
 * With `stopAfter`, the run's subtasks stop at the savepoint's barrier and the run ends SUSPENDED
 * (FINISHED with `drain`).
 */
/** How many times a savepoint retries its number after a periodic checkpoint took it. */
const MAX_NUMBER_RACES = 10;

export async function triggerSavepoint(
  database: Database,
  feed: EventFeed,
  runId: string,
  options: {
    requestId?: string | null;
    stopAfter?: boolean;
    /** With stopAfter: the run ends FINISHED instead of SUSPENDED (a stop that drains). */
    drain?: boolean;
    actor: string;
    waitMs?: number;
  },
): Promise<CheckpointRow> {
  const requestId = parseInput(
    savepointRequestIdSchema,
    options.requestId ?? randomUUID(),
    'input.requestId',
  );
  const existing = await findByRequest(database, runId, requestId);
  if (existing) return existing;

  const [run] = await database.db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new NotFoundError('run', runId);
  if (run.status !== RunStatus.RUNNING || run.stopRequested) {
    throw new ConflictError(
      `a savepoint needs a RUNNING run; run ${runId} is ${run.status}${run.stopRequested ? ' and stopping' : ''}`,
    );
  }
  const [notRunning] = await database.db
    .select({ n: count() })
    .from(assignments)
    .where(and(eq(assignments.runId, runId), ne(assignments.status, SubtaskStatus.RUNNING)));
  const [all] = await database.db
    .select({ n: count() })
    .from(assignments)
    .where(eq(assignments.runId, runId));
  if (Number(notRunning!.n) > 0) {
    throw new ConflictError(`a savepoint needs every subtask running; ${notRunning!.n} of ${all!.n} are not`);
  }
  // The number is the run's next one. Savepoints of one run take it in turn (the run row's lock, held
  // to commit); a periodic checkpoint triggered at the same moment may still take it first (a unique
  // violation on (run_id, number)), and then this takes the next. A violation on the request id means
  // the same request raced in: its row wins.
  let created: CheckpointRow | undefined;
  for (let attempt = 1; !created; attempt++) {
    try {
      created = await database.db.transaction(async (tx) => {
        await lockRun(tx, runId);
        const [row] = await executeIn<{ id: string }>(
          tx,
          sql`
          insert into checkpoints (run_id, number, kind, request_id, stop_after, stop_drains, expected_acks)
          values (${runId}, coalesce((select max(number) from checkpoints where run_id = ${runId}), 0) + 1,
                  'SAVEPOINT', ${requestId}, ${options.stopAfter ?? false},
                  ${(options.stopAfter ?? false) && (options.drain ?? false)}, ${Number(all!.n)}::int)
          returning id`,
        );
        const [inserted] = await tx.select().from(checkpoints).where(eq(checkpoints.id, row!.id));
        await tx
          .insert(auditEvents)
          .values({ actor: options.actor, action: 'run:savepoint', target: runId, details: { requestId } });
        await emitEvent(
          database,
          {
            type: 'checkpoint:triggered',
            runId,
            checkpointId: inserted!.id,
            payload: { kind: 'SAVEPOINT', requestId },
          },
          tx,
        );
        return inserted!;
      });
    } catch (err) {
      if (pgErrorCode(err) !== PG_UNIQUE_VIOLATION) throw err;
      const again = await findByRequest(database, runId, requestId);
      if (again) return again;
      if (attempt >= MAX_NUMBER_RACES) {
        throw new ConflictError('other checkpoints kept taking the next number; try again', { cause: err });
      }
    }
  }
  await notifyNodesOfRuns(database, [runId]);
  // Asked not to wait (Flink's trigger-and-poll): the savepoint as it was made, IN_PROGRESS.
  if (options.waitMs === 0) return created;
  try {
    return await waitForCheckpoint(database, feed, created.id, { timeoutMs: options.waitMs ?? 10_000 });
  } catch (err) {
    // Not settled yet is an answer here: the caller gets the savepoint as it is (IN_PROGRESS).
    if (!(err instanceof WaitTimeoutError)) throw err;
    return readCheckpoint(database, created.id);
  }
}

async function findByRequest(database: Database, runId: string, requestId: string) {
  const [row] = await database.db
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.runId, runId), eq(checkpoints.requestId, requestId)));
  return row;
}

async function readCheckpoint(database: Database, id: string): Promise<CheckpointRow> {
  const [row] = await database.db.select().from(checkpoints).where(eq(checkpoints.id, id));
  if (!row) throw new NotFoundError('checkpoint', id);
  return row;
}

/** The checkpoint once it is no longer IN_PROGRESS (woken by its `checkpoint:completed` or
 * `checkpoint:failed` event, decided by its row); WaitTimeoutError when `timeoutMs` passes first. */
export async function waitForCheckpoint(
  database: Database,
  feed: EventFeed,
  id: string,
  options: WaitLimits = {},
): Promise<CheckpointRow> {
  return feed.waitFor(
    { checkpointId: id, types: ['checkpoint:completed', 'checkpoint:failed'] },
    async () => {
      const row = await readCheckpoint(database, id);
      return row.status === CheckpointStatus.IN_PROGRESS ? undefined : row;
    },
    { ...options, what: `checkpoint ${id} to complete or fail` },
  );
}
