// The realtime feed over the `events` table. Rows are the truth, a NOTIFY on EVENTS_CHANNEL is only
// a wake-up, and a poll while anyone listens is the guarantee (a lost NOTIFY is seen on the next
// tick). However many waiters and subscribers share a feed, each wake-up costs one read: the feed
// reads every new event once and hands each reader the ones its filter matches.
//
// Ids come from a sequence, so a transaction can commit event 11 while event 10 is still in flight.
// Subscribers get events in id order with no gap: the feed holds back what follows a missing id
// until the id commits or `gapGraceMs` has passed since the later event became visible (a rolled
// back insert leaves a gap that never fills). Waiters re-read their truth on every wake-up, so they
// are woken by any new matching row at once, gap or not.
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { EVENTS_CHANNEL } from '../events.ts';
import { matchesFilter, type EventFilter, type FeedEvent } from './event-filter.ts';
import { readEvents, readEventsHead } from './read-events.ts';

export interface EventFeedOptions {
  /** How often the feed reads while anyone waits or subscribes, NOTIFY or not (default 1 s). */
  pollMs?: number;
  /** How long an event may be visible while an earlier id is missing before subscribers get it
   * anyway, giving the missing one up (default 5 s; longer than any transaction that emits). */
  gapGraceMs?: number;
  /** Events per read (default 500). */
  pageSize?: number;
  /** Events a subscriber may leave unread before it is paused; it then re-reads from its cursor,
   * so memory stays bounded and nothing is lost (default 1,000). */
  maxBuffered?: number;
  logger?: Logger;
}

export interface WaitOptions {
  /** The wait fails with a WaitTimeoutError after this long (default: no limit). */
  timeoutMs?: number;
  /** Ends the wait early; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What is awaited, for the timeout's message (e.g. `run 3f… to end`). */
  what: string;
}

export interface SubscribeOptions {
  /** Ends the subscription, also while it waits for the next event. */
  signal?: AbortSignal;
}

export interface EventFeed {
  /** One page of the events after `cursor` that match, oldest first. */
  after(cursor: number, filter?: EventFilter, limit?: number): Promise<FeedEvent[]>;
  /** Every matching event after `fromCursor` (default: from now on), in order, none twice: the
   * history first, then live ones. Ends when the feed closes or the signal fires. */
  subscribe(filter: EventFilter, fromCursor?: number, options?: SubscribeOptions): AsyncIterable<FeedEvent>;
  /** Runs `check` (a read of the truth) now and after every matching event, until it returns a
   * value; fails with WaitTimeoutError when `timeoutMs` passes first. */
  waitFor<T>(filter: EventFilter, check: () => Promise<T | undefined>, options: WaitOptions): Promise<T>;
  /** Ends every subscription and fails every wait; the feed stops listening. */
  close(): Promise<void>;
}

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

export class FeedClosedError extends Error {
  constructor(what: string) {
    super(`the event feed closed while waiting for ${what}`);
    this.name = 'FeedClosedError';
  }
}

interface Waiter {
  filter: EventFilter;
  wake(): void;
  close(): void;
}

interface Subscriber {
  filter: EventFilter;
  queue: FeedEvent[];
  /** Set when the queue overflowed: the subscriber re-reads from its cursor. */
  behind: boolean;
  joining: boolean;
  notify(): void;
}

/** A promise with its resolve function outside (Node 20 has no Promise.withResolvers). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const DEFAULTS = { pollMs: 1_000, gapGraceMs: 5_000, pageSize: 500, maxBuffered: 1_000 };

export function createEventFeed(database: Database, options: EventFeedOptions = {}): EventFeed {
  const { pollMs, gapGraceMs, pageSize, maxBuffered } = { ...DEFAULTS, ...options };
  const waiters = new Set<Waiter>();
  const subscribers = new Set<Subscriber>();
  /** The id up to which every event was read and handed to subscribers. */
  let delivered = 0;
  /** Events read beyond `delivered` (behind a missing id), and when each was first seen. */
  const heldSince = new Map<number, number>();
  let listening: Promise<() => Promise<void>> | undefined;
  let awake: Promise<void> | undefined;
  /** Set once `delivered` holds the head read on waking: reads before it would start from nowhere. */
  let ready = false;
  /** Bumped each time the feed wakes from idle, so a read from an earlier wake is dropped. */
  let epoch = 0;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const idle = () => waiters.size === 0 && subscribers.size === 0;

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

  const offer = (subscriber: Subscriber, event: FeedEvent) => {
    if (subscriber.joining || subscriber.behind || !matchesFilter(subscriber.filter, event)) return;
    if (subscriber.queue.length >= maxBuffered) {
      subscriber.behind = true;
      subscriber.queue = [];
    } else subscriber.queue.push(event);
    subscriber.notify();
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

  /** Starts listening and polling for the first reader after idle, from the current head. */
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
      timer = setInterval(wake, pollMs);
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

  /** The last reader left: stop polling (the LISTEN stays; a NOTIFY with nobody to read is dropped). */
  const sleepIfIdle = () => {
    if (!idle() || !awake) return;
    clearInterval(timer);
    timer = undefined;
    awake = undefined;
    ready = false;
    epoch++;
  };

  const waitFor = async <T>(
    filter: EventFilter,
    check: () => Promise<T | undefined>,
    options: WaitOptions,
  ): Promise<T> => {
    let kick = deferred<void>();
    const ended = deferred<'timeout' | 'aborted' | 'closed'>();
    const waiter: Waiter = { filter, wake: () => kick.resolve(), close: () => ended.resolve('closed') };
    const onAbort = () => ended.resolve('aborted');
    const deadline =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => ended.resolve('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    waiters.add(waiter);
    try {
      if (closed) throw new FeedClosedError(options.what);
      options.signal?.throwIfAborted();
      await ensureAwake();
      for (;;) {
        // A fresh kick before each check: an event that lands during the check wakes the next one.
        kick = deferred<void>();
        const value = await check();
        if (value !== undefined) return value;
        const outcome = await Promise.race([kick.promise.then(() => 'event' as const), ended.promise]);
        if (outcome === 'event') continue;
        if (outcome === 'aborted') throw options.signal!.reason;
        if (outcome === 'closed') throw new FeedClosedError(options.what);
        // The truth once more: an event the feed could not see (see above) must not fail the wait.
        const last = await check();
        if (last !== undefined) return last;
        throw new WaitTimeoutError(options.what, options.timeoutMs!);
      }
    } finally {
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
      waiters.delete(waiter);
      sleepIfIdle();
    }
  };

  async function* subscribe(
    filter: EventFilter,
    fromCursor?: number,
    options: SubscribeOptions = {},
  ): AsyncGenerator<FeedEvent> {
    let signalled = deferred<void>();
    const subscriber: Subscriber = {
      filter,
      queue: [],
      behind: false,
      joining: true,
      notify: () => signalled.resolve(),
    };
    const onAbort = () => subscriber.notify();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    subscribers.add(subscriber);
    try {
      await ensureAwake();
      let cursor = fromCursor ?? delivered;
      for (;;) {
        if (closed || options.signal?.aborted) return;
        // Join the live read at `delivered`: what is at or before it comes from the table, what
        // follows it from the queue (both set in one synchronous step, so nothing falls between).
        const joinedAt = delivered;
        subscriber.queue = [];
        subscriber.joining = subscriber.behind = false;
        while (cursor < joinedAt) {
          const page = await readEvents(database, cursor, filter, { limit: pageSize, through: joinedAt });
          for (const event of page) {
            yield event;
            cursor = event.id;
          }
          if (page.length < pageSize) cursor = Math.max(cursor, joinedAt);
        }
        while (!subscriber.behind) {
          if (closed || options.signal?.aborted) return;
          const event = subscriber.queue.shift();
          if (event) {
            // A cursor from another gateway may be ahead of this one's reads.
            if (event.id > cursor) {
              yield event;
              cursor = event.id;
            }
            continue;
          }
          signalled = deferred<void>();
          await signalled.promise;
        }
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      subscribers.delete(subscriber);
      sleepIfIdle();
    }
  }

  return {
    after: (cursor, filter = {}, limit = pageSize) => readEvents(database, cursor, filter, { limit }),
    subscribe: (filter, fromCursor, options) => ({
      [Symbol.asyncIterator]: () => subscribe(filter, fromCursor, options),
    }),
    waitFor,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const waiter of waiters) waiter.close();
      for (const subscriber of subscribers) subscriber.notify();
      await reading;
      const unlisten = await listening?.catch(() => undefined);
      await unlisten?.().catch(() => {});
    },
  };
}
