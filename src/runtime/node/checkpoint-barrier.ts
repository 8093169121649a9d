// A running pipeline's checkpoint barrier. The executor's loop queues the checkpoints in progress
// for the pipeline's run; the pipeline takes them at its next record boundary, snapshots its
// sources there and acknowledges, in checkpoint order. A savepoint that stops the run holds the
// pipeline at its barrier until the savepoint settles.
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { CheckpointStatus } from '../../lib/status.ts';
import { ackCheckpoint, pendingCheckpoints } from '../checkpoints/ack-checkpoint.ts';
import { waitForCheckpoint } from '../checkpoints/savepoints.ts';
import type { EventFeed } from '../feed/event-feed.ts';
import type { PipelineControls } from './run-pipeline.ts';

export interface CheckpointBarrierOptions {
  database: Database;
  /** Wakes a stop-with-savepoint's wait when its savepoint settles. */
  events: EventFeed;
  log: Logger;
  /** The subtask whose acknowledgement stands for this assignment, and the assignment's index. */
  ackAs: { subtaskId: string; index: number };
  /** The attempt's cancel: a stop-with-savepoint stops waiting for its savepoint when it fires. */
  cancel: AbortSignal;
  /** Stops the pipeline gracefully once its stop-with-savepoint completed. */
  stopRun: () => void;
}

type Snapshot = Parameters<NonNullable<PipelineControls['atBoundary']>>[0];

/** A sink commit the checkpoint's positions counted on failed: it is not acknowledged (it fails
 * on its timeout or when the subtask stops, and the subtask fails on its next write). */
export class CheckpointStateLost extends Error {
  constructor(readonly checkpointId: string) {
    super(`checkpoint ${checkpointId}: a sink commit it counted on failed; not acknowledged`);
    this.name = 'CheckpointStateLost';
  }
}

export class CheckpointBarrier {
  /** Checkpoints still to snapshot and acknowledge, oldest first. */
  private readonly pending: { id: string; stopAfter: boolean }[] = [];
  private readonly seen = new Set<string>();
  /** Acknowledgements on their way, in checkpoint order. */
  private acks: Promise<void> = Promise.resolve();

  constructor(private readonly options: CheckpointBarrierOptions) {}

  /** Queues a checkpoint once, however often the loop finds it in progress. */
  queue(checkpoint: { id: string; stopAfter: boolean }): void {
    if (this.seen.has(checkpoint.id)) return;
    this.seen.add(checkpoint.id);
    this.pending.push({ id: checkpoint.id, stopAfter: checkpoint.stopAfter });
  }

  /** The pipeline's record-boundary hook (PipelineControls.atBoundary). */
  readonly atBoundary = async (snapshot: Snapshot): Promise<void> => {
    const { database, ackAs, cancel } = this.options;
    while (this.pending.length > 0) {
      const checkpoint = this.pending.shift()!;
      // A stop-with-savepoint flushes: nothing is read after it, so its positions are the readers'.
      const { sources, durable } = await snapshot({ flush: checkpoint.stopAfter });
      // The state is captured at this boundary; its acknowledgement goes out behind the
      // pipeline, which reads on (checkpoints every 1 s cost 9% of throughput when it waited),
      // once the sink commits it counts on are durable.
      this.acks = this.acks
        .then(async () => {
          if (!(await durable)) throw new CheckpointStateLost(checkpoint.id);
          await ackCheckpoint(database, checkpoint.id, ackAs.subtaskId, { index: ackAs.index, sources });
        })
        .then(
          () => {},
          (err: unknown) =>
            this.options.log.warn(
              { err: coerceError(err), checkpoint: checkpoint.id },
              'checkpoint ack failed',
            ),
        );
      if (!checkpoint.stopAfter) continue;
      await this.acks;
      // Stop-with-savepoint: read nothing more until the savepoint settles; stop if it
      // completed, carry on if it failed.
      const settled = await waitForCheckpoint(database, this.options.events, checkpoint.id, {
        signal: cancel,
      }).catch((err: unknown) => {
        // A cancel ends the wait: the attempt is stopping anyway.
        if (cancel.aborted) return undefined;
        throw err;
      });
      if (settled?.status === CheckpointStatus.COMPLETED) {
        this.options.stopRun();
        return;
      }
    }
  };

  /** Resolves once every acknowledgement sent so far has been written (or its failure logged). */
  acked(): Promise<void> {
    return this.acks;
  }
}

/** Queues the checkpoints in progress for the pipelines this node runs (those with a barrier). */
export async function queueCheckpoints(
  database: Database,
  entries: Iterable<{ runId: string; barrier?: CheckpointBarrier }>,
): Promise<void> {
  const pipelines = [...entries].filter((e) => e.barrier);
  const pending = await pendingCheckpoints(database, [...new Set(pipelines.map((e) => e.runId))]);
  for (const checkpoint of pending) {
    for (const entry of pipelines) {
      if (entry.runId === checkpoint.runId) entry.barrier!.queue(checkpoint);
    }
  }
}
