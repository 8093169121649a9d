// The one reader behind an event feed: it listens on EVENTS_CHANNEL and polls while anyone waits or
// subscribes, reads every new event once per wake-up, and hands each waiter and subscriber the ones
// its filter matches.
//
// Ids come from a sequence, so a transaction can commit event 11 while event 10 is still in flight.
// Subscribers get events in id order with no gap: what follows a missing id is held back until the
// id commits or `gapGraceMs` has passed since the later event became visible (a rolled-back insert
// leaves a gap that never fills). Waiters re-read their truth on every matching event and on every
// poll tick, so a change is seen at once, or within a tick when its event was missed.
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { EVENTS_CHANNEL } from '../events.ts';
import { matchesFilter, type EventFilter, type FeedEvent } from './event-filter.ts';
import { readEvents, readEventsHead } from './read-events.ts';

export interface Waiter {
  filter: EventFilter;
  wake(): void;
  /** The feed closed. */
  close(): void;
}

export interface Subscriber {
  filter: EventFilter;
  /** Live events not yet taken, in order. */
  queue: FeedEvent[];
  /** Set when the queue overflowed: the subscriber re-reads from its cursor, then joins again. */
  behind: boolean;
  /** Not joined yet: events go past it. */
  joining: boolean;
  notify(): void;
}

export interface SharedReaderOptions {
  pollMs: number;
  gapGraceMs: number;
  pageSize: number;
  maxBuffered: number;
  logger?: Logger;
}

export interface SharedReader {
  readonly waiters: Set<Waiter>;
  readonly subscribers: Set<Subscriber>;
  /** The id up to which every event was read and handed to subscribers. */
  readonly delivered: number;
  readonly closed: boolean;
  /** Whether the poll timer runs (only while anyone waits or subscribes). */
  readonly polling: boolean;
  /** Listening and polling from the current head (for the first reader after idle). */
  ensureAwake(): Promise<void>;
  /** Call when a reader leaves: with none left the polling stops (the LISTEN stays, and a NOTIFY
   * with nobody to read is dropped), so an unused feed holds no timer. */
  sleepIfIdle(): void;
  close(): Promise<void>;
}

export function createSharedReader(database: Database, options: SharedReaderOptions): SharedReader {
  const { pollMs, gapGraceMs, pageSize, maxBuffered } = options;
  const waiters = new Set<Waiter>();
  const subscribers = new Set<Subscriber>();
  let delivered = 0;
  /** Events read beyond `delivered` (behind a missing id), and when each was first seen. */
  const heldSince = new Map<number, number>();
  let listening: Promise<() => Promise<void>> | undefined;
  let awake: Promise<void> | undefined;
  /** Set once `delivered` holds the head read on waking: a read before it would start from nowhere. */
  let ready = false;
  /** Bumped each time the feed wakes from idle, so a read from an earlier wake is dropped. */
  let epoch = 0;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const idle = () => waiters.size === 0 && subscribers.size === 0;

  const offer = (subscriber: Subscriber, event: FeedEvent) => {
    if (subscriber.joining || subscriber.behind || !matchesFilter(subscriber.filter, event)) return;
    if (subscriber.queue.length >= maxBuffered) {
      subscriber.behind = true;
      subscriber.queue = [];
    } else subscriber.queue.push(event);
    subscriber.notify();
  };

  const readOnce = async (at: number) => {
    for (;;) {
      const rows = await readEvents(database, delivered, {}, { limit: pageSize });
      if (at !== epoch) return;
      const now = Date.now();
      for (const row of rows) {
        if (heldSince.has(row.id)) continue;
        heldSince.set(row.id, now);
        for (const waiter of waiters) if (matchesFilter(waiter.filter, row)) waiter.wake();
      }
      let blocked = false;
      for (const row of rows) {
        if (row.id !== delivered + 1 && now - heldSince.get(row.id)! < gapGraceMs) {
          blocked = true;
          break;
        }
        delivered = row.id;
        heldSince.delete(row.id);
        for (const subscriber of subscribers) offer(subscriber, row);
      }
      if (blocked || rows.length < pageSize) return;
    }
  };

  /** Reads once for everyone; a wake-up during a read makes one more read after it. */
  const wake = () => {
    if (closed || !ready || idle()) return;
    if (reading) {
      again = true;
      return;
    }
    const at = epoch;
    reading = (async () => {
      do {
        again = false;
        await readOnce(at);
      } while (again && at === epoch && !closed);
    })()
      .catch((err: unknown) => options.logger?.warn({ err: coerceError(err) }, 'event feed read failed'))
      .finally(() => (reading = undefined));
  };

  const ensureAwake = (): Promise<void> => {
    if (closed) return Promise.resolve();
    listening ??= database.listen(EVENTS_CHANNEL, () => wake());
    awake ??= (async () => {
      await listening!.catch((err: unknown) => {
        listening = undefined;
        throw err;
      });
      const head = await readEventsHead(database);
      if (idle() || closed) return; // the reader left meanwhile; the next one wakes the feed again
      epoch++;
      delivered = head;
      heldSince.clear();
      clearInterval(timer);
      timer = setInterval(() => {
        wake();
        // A waiter re-reads its truth on every tick too: an event whose id fell behind the head
        // (its transaction was open when the feed woke) is never read, but the change it describes
        // is seen within a tick instead of at the wait's timeout.
        for (const waiter of waiters) waiter.wake();
      }, pollMs);
      timer.unref();
      ready = true;
    })();
    const current = awake;
    // A failed start is retried by the next reader.
    current.catch(() => {
      if (awake === current) awake = undefined;
    });
    return current;
  };

  const sleepIfIdle = () => {
    if (!idle() || !awake) return;
    clearInterval(timer);
    timer = undefined;
    awake = undefined;
    ready = false;
    epoch++;
  };

  return {
    waiters,
    subscribers,
    get delivered() {
      return delivered;
    },
    get closed() {
      return closed;
    },
    get polling() {
      return timer !== undefined;
    },
    ensureAwake,
    sleepIfIdle,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      timer = undefined;
      for (const waiter of waiters) waiter.close();
      for (const subscriber of subscribers) subscriber.notify();
      await reading;
      const unlisten = await listening?.catch(() => undefined);
      await unlisten?.().catch(() => {});
    },
  };
}
