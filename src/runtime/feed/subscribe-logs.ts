// A subscription on a run's log: the history after a cursor from the table in pages, then live
// lines from the run's shared stream, in seq order, none twice. Every batch carries the cursor that
// resumes right after it. A subscriber whose consumer reads slowly stops being pulled, its queue
// fills to the bound, is dropped, and it catches up from its cursor: memory stays bounded.
//
// A consumer that accepts direct delivery (lib/direct-delivery.ts) gets the live batches without
// pulling them: once the subscriber has caught up (its queue is empty and its consumer waits), the
// stream hands its batches to `deliver` as it reads them, one batch per filter for all such
// subscribers, and this generator only waits. When `deliver` refuses a batch the subscriber is back
// on its queue from that batch on, resumes from the last cursor `deliver` took, and returns to the
// direct path once it has caught up again.
import type { Database } from '../../db/client.ts';
import type { Deliver } from '../../lib/direct-delivery.ts';
import type { LogFilter } from './log-filter.ts';
import type { LogSubscriber, RunLogStream } from './log-stream.ts';
import { readLogLines } from './read-log-lines.ts';
import { logFilterKey, type LogBatch } from './shared-batches.ts';
import { deferred } from './wait-for-events.ts';

export type { LogBatch } from './shared-batches.ts';

export interface SubscribeLogsOptions {
  /** Ends the subscription, also while it waits for lines. */
  signal?: AbortSignal;
}

/** How the feed lends a subscription a run's stream. */
export interface StreamLease {
  stream: RunLogStream;
  /** Gives the stream back (the last subscriber to leave ends it). */
  release(): void;
  /** Whether the feed closed. */
  closed(): boolean;
}

export async function* subscribeLogs(
  database: Database,
  acquire: () => StreamLease,
  filter: LogFilter,
  fromSeq: number,
  // deliver: the consumer's direct delivery, if it accepted it (see the file comment).
  options: SubscribeLogsOptions & { pageSize: number; deliver: Deliver<LogBatch> | undefined },
): AsyncGenerator<LogBatch> {
  let signalled = deferred<void>();
  const subscriber: LogSubscriber = {
    filter,
    queue: [],
    through: 0,
    behind: false,
    joining: true,
    direct: undefined,
    notify: () => signalled.resolve(),
  };
  // Off the direct path at once: nothing is delivered after the consumer let go.
  const onAbort = () => {
    stream.stopDirect(subscriber);
    subscriber.notify();
  };
  // Taken and joined in one synchronous step, so the stream cannot end between the two.
  const lease = acquire();
  const { stream } = lease;
  stream.subscribers.add(subscriber);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const filterKey = logFilterKey(filter);
  const ended = () => lease.closed() || stream.gone || options.signal?.aborted === true;
  try {
    await stream.ready;
    let cursor = fromSeq;
    while (!ended()) {
      // Join the shared read at `delivered`: what is at or before it comes from the table, what
      // follows it from the queue (both set in one synchronous step, so nothing falls between).
      const joinedAt = stream.delivered;
      subscriber.queue = [];
      subscriber.through = joinedAt;
      subscriber.joining = subscriber.behind = false;
      while (cursor < joinedAt && !ended()) {
        const page = await readLogLines(database, stream.runId, cursor, filter, {
          limit: options.pageSize,
          through: joinedAt,
        });
        const next = page.length < options.pageSize ? joinedAt : page[page.length - 1]!.seq;
        if (page.length > 0) yield stream.batches.batch(filterKey, next, page);
        cursor = next;
      }
      while (!subscriber.behind && !ended()) {
        if (subscriber.queue.length > 0) {
          const taken = subscriber.queue.splice(0, options.pageSize);
          const next = subscriber.queue.length === 0 ? subscriber.through : taken[taken.length - 1]!.seq;
          // (A cursor from another gateway may be ahead of this one's reads.)
          const lines = taken[0]!.seq > cursor ? taken : taken.filter((line) => line.seq > cursor);
          if (next <= cursor) continue;
          cursor = next;
          if (lines.length > 0) yield stream.batches.batch(filterKey, cursor, lines);
        } else if (stream.ended) {
          return;
        } else {
          // (A cursor ahead of what the stream offered, from another gateway, waits on the queue.)
          const direct =
            options.deliver && cursor <= subscriber.through
              ? stream.deliverDirectly(subscriber, filterKey, options.deliver)
              : undefined;
          signalled = deferred<void>();
          await signalled.promise;
          if (direct) {
            stream.stopDirect(subscriber);
            // Everything through `through` was delivered, unless a batch was refused.
            cursor = direct.refusedAfter ?? subscriber.through;
          }
        }
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stream.stopDirect(subscriber);
    stream.subscribers.delete(subscriber);
    lease.release();
  }
}
