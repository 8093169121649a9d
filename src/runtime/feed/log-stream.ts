// The one reader of a run's log on this process: every subscriber of the run shares it. Each wake-up
// (a NOTIFY on LOGS_CHANNEL naming the run, or the feed's poll tick) costs one statement for all of
// them (more only when more than a page arrived), and each subscriber gets the lines its filter
// matches. Seqs are gap-free and follow commit order (sql/append-log-lines.ts), so unlike the event
// reader there is nothing to hold back: a read after seq N sees N+1 first or nothing.
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Deliver } from '../../lib/direct-delivery.ts';
import type { Logger } from '../../lib/logger.ts';
import { isTerminalRunStatus, type RunStatus } from '../../lib/status.ts';
import { matchesLogFilter, type FeedLogLine, type LogFilter } from './log-filter.ts';
import { readLogTail } from './read-log-lines.ts';
import { createSharedBatches, type LogBatch, type SharedBatches } from './shared-batches.ts';

export interface LogSubscriber {
  filter: LogFilter;
  /** Matching live lines not yet taken, in seq order; never more than maxBuffered. */
  queue: FeedLogLine[];
  /** The seq through which shared reads have offered this subscriber every line (matching or not):
   * the cursor that resumes right after its queue. */
  through: number;
  /** Set when the queue overflowed: it was dropped, and the subscriber re-reads from its cursor. */
  behind: boolean;
  /** Not joined yet: lines go past it. */
  joining: boolean;
  /** Set while the stream hands this subscriber its batches directly (deliverDirectly). */
  direct: DirectLogDelivery | undefined;
  notify(): void;
}

/** A subscriber on the direct path: each batch the stream reads goes to `deliver` at once, one
 * batch per filter for all subscribers with that filter, instead of into its queue. */
export interface DirectLogDelivery {
  readonly filterKey: string;
  readonly deliver: Deliver<LogBatch>;
  /** Set when `deliver` refused a batch: the cursor of the last batch it took. The refused lines
   * and the later ones are in the subscriber's queue, and it is off the direct path. */
  refusedAfter: number | undefined;
}

export interface LogStreamOptions {
  pageSize: number;
  maxBuffered: number;
  /** How long a run must have been terminal before its log counts as complete (lines flushed just
   * after the status change still arrive). */
  settleMs: number;
  logger?: Logger;
  /** The feed's LISTEN: the head is read only once it is in place, so no NOTIFY falls between. */
  listening: Promise<unknown>;
  /** Called with each subscriber's queue length after an offer (the feed keeps the peak). */
  onQueued(length: number): void;
  /** Called when a subscriber's queue overflowed and it was paused. */
  onPaused(): void;
  /** Called when a direct subscriber refused a batch and went back to its queue. */
  onRefused(): void;
}

export interface RunLogStream {
  readonly runId: string;
  readonly subscribers: Set<LogSubscriber>;
  /** The batches its subscribers are handed, one object per content. */
  readonly batches: SharedBatches;
  /** The seq through which every line was read and offered. */
  readonly delivered: number;
  /** The run is terminal (and settled) and every line of it was read: subscribers may complete. */
  readonly ended: boolean;
  /** The run no longer exists (deleted while read). */
  readonly gone: boolean;
  /** Resolves once the stream knows the run's head (its first read). */
  readonly ready: Promise<void>;
  /** When a read last found the run (Date.now()), undefined before the first one. */
  readonly foundAt: number | undefined;
  /** Puts a joined subscriber whose queue is empty, and whose consumer waits, on the direct path:
   * from the next read on, its batches go to `deliver` (lib/direct-delivery.ts), until `deliver`
   * refuses one or stopDirect. */
  deliverDirectly(
    subscriber: LogSubscriber,
    filterKey: string,
    deliver: Deliver<LogBatch>,
  ): DirectLogDelivery;
  /** Takes a subscriber off the direct path (nothing if it is not on it). */
  stopDirect(subscriber: LogSubscriber): void;
  wake(): void;
  /** Stops reading; an unfinished read is awaited. */
  close(): Promise<void>;
}

export function createRunLogStream(
  database: Database,
  runId: string,
  options: LogStreamOptions,
): RunLogStream {
  const { pageSize, maxBuffered, settleMs } = options;
  const subscribers = new Set<LogSubscriber>();
  let delivered = 0;
  let ended = false;
  let gone = false;
  let started = false;
  let foundAt: number | undefined;
  let closed = false;
  let terminalSince: number | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  // Lines in the batches a stream remembers for its subscribers to share: two pages.
  const batches = createSharedBatches(pageSize * 2);

  /** Direct subscribers by filter key, with that filter. */
  const direct = new Map<string, { filter: LogFilter; members: Set<LogSubscriber> }>();

  const pause = (subscriber: LogSubscriber) => {
    subscriber.behind = true;
    subscriber.queue = [];
    options.onPaused();
  };

  const offer = (subscriber: LogSubscriber, line: FeedLogLine) => {
    if (subscriber.joining || subscriber.behind || !matchesLogFilter(subscriber.filter, line)) return false;
    if (subscriber.queue.length >= maxBuffered) pause(subscriber);
    else {
      subscriber.queue.push(line);
      options.onQueued(subscriber.queue.length);
    }
    return true;
  };

  const tryDeliver = (delivery: DirectLogDelivery, batch: LogBatch) => {
    try {
      return delivery.deliver(batch);
    } catch (err) {
      // (deliver does not throw; if it did, the iterator path would still deliver the batch.)
      options.logger?.warn({ err: coerceError(err), runId }, 'direct log delivery failed');
      return false;
    }
  };

  const stopDirect = (subscriber: LogSubscriber) => {
    const delivery = subscriber.direct;
    if (!delivery) return;
    subscriber.direct = undefined;
    const group = direct.get(delivery.filterKey);
    group?.members.delete(subscriber);
    if (group?.members.size === 0) direct.delete(delivery.filterKey);
  };

  /** Hands each direct group the lines of a page its filter matches, as one batch made once for
   * the group (so its selection is executed and serialized once), in one synchronous loop. `from`
   * is the seq the page started after. */
  const deliverDirect = (page: FeedLogLine[], from: number, woken: Set<LogSubscriber>) => {
    for (const [filterKey, group] of direct) {
      const lines = page.filter((line) => matchesLogFilter(group.filter, line));
      if (lines.length === 0) continue;
      const batch = batches.batch(filterKey, delivered, lines);
      for (const subscriber of group.members) {
        const delivery = subscriber.direct!;
        if (tryDeliver(delivery, batch)) continue;
        // Its consumer cannot take more now (its socket is full): it leaves the direct path and
        // takes these lines and the next ones from its queue, at the pace it reads, where
        // maxBuffered bounds what it holds; once it has caught up it may come back.
        stopDirect(subscriber);
        delivery.refusedAfter = from;
        options.onRefused();
        if (lines.length > maxBuffered) pause(subscriber);
        else {
          subscriber.queue = lines.slice();
          options.onQueued(lines.length);
        }
        woken.add(subscriber);
      }
    }
  };

  /** Notes the run's status after a read that reached its head. */
  const settle = (status: RunStatus, endedMsAgo: number | null) => {
    if (!isTerminalRunStatus(status)) {
      terminalSince = undefined;
      return;
    }
    const now = Date.now();
    terminalSince ??= now - Math.max(0, endedMsAgo ?? 0);
    if (now - terminalSince >= settleMs) ended = true;
  };

  const readOnce = async () => {
    for (;;) {
      const tail = await readLogTail(database, runId, delivered, pageSize);
      if (closed) return;
      if (!tail) {
        gone = true;
        for (const subscriber of subscribers) subscriber.notify();
        return;
      }
      foundAt = Date.now();
      const from = delivered;
      const woken = new Set<LogSubscriber>();
      if (tail.lines.length > 0) delivered = tail.lines[tail.lines.length - 1]!.seq;
      for (const subscriber of subscribers) {
        if (subscriber.direct) continue;
        for (const line of tail.lines) if (offer(subscriber, line)) woken.add(subscriber);
      }
      deliverDirect(tail.lines, from, woken);
      for (const subscriber of subscribers) {
        if (!subscriber.joining && !subscriber.behind) subscriber.through = delivered;
      }
      const atHead = tail.lines.length < pageSize;
      if (atHead) settle(tail.status, tail.endedMsAgo);
      for (const subscriber of ended ? subscribers : woken) subscriber.notify();
      if (atHead) return;
    }
  };

  const ready = (async () => {
    await options.listening;
    const head = await readLogTail(database, runId, Number.MAX_SAFE_INTEGER, 0);
    if (!head) {
      gone = true;
      return;
    }
    delivered = head.logSeq;
    settle(head.status, head.endedMsAgo);
    foundAt = Date.now();
    started = true;
  })();

  return {
    runId,
    subscribers,
    batches,
    get delivered() {
      return delivered;
    },
    get ended() {
      return ended;
    },
    get gone() {
      return gone;
    },
    ready,
    get foundAt() {
      return started ? foundAt : undefined;
    },
    deliverDirectly: (subscriber, filterKey, deliver) => {
      const delivery: DirectLogDelivery = { filterKey, deliver, refusedAfter: undefined };
      let group = direct.get(filterKey);
      if (!group) direct.set(filterKey, (group = { filter: subscriber.filter, members: new Set() }));
      group.members.add(subscriber);
      subscriber.direct = delivery;
      return delivery;
    },
    stopDirect,
    /** Reads once for everyone; a wake-up during a read makes one more read after it. */
    wake: () => {
      if (closed || !started || gone || ended) return;
      if (reading) {
        again = true;
        return;
      }
      reading = (async () => {
        do {
          again = false;
          await readOnce();
        } while (again && !closed && !gone && !ended);
      })()
        .catch((err: unknown) =>
          options.logger?.warn({ err: coerceError(err), runId }, 'log feed read failed'),
        )
        .finally(() => (reading = undefined));
    },
    close: async () => {
      closed = true;
      for (const subscriber of subscribers) subscriber.notify();
      await reading;
      await ready.catch(() => {});
    },
  };
}
