// The realtime feed over the `events` table. Rows are the truth, a NOTIFY on EVENTS_CHANNEL is only
// a wake-up, and a poll while anyone listens is the guarantee (a lost NOTIFY is seen on the next
// tick). However many waiters and subscribers share a feed, each wake-up costs one read
// (shared-reader.ts). GraphQL subscriptions, the dialects and the CLI read the same cursors: an
// event's id.
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../lib/logger.ts';
import { withDefaults } from '../../lib/with-defaults.ts';
import type { EventFilter, FeedEvent } from './event-filter.ts';
import { readEvents } from './read-events.ts';
import { createSharedReader } from './shared-reader.ts';
import { subscribeEvents, type SubscribeOptions } from './subscribe-events.ts';
import { waitForEvents, type WaitOptions } from './wait-for-events.ts';

export { FeedClosedError, WaitTimeoutError, type WaitLimits, type WaitOptions } from './wait-for-events.ts';
export type { SubscribeOptions } from './subscribe-events.ts';

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

export interface EventFeed {
  /** One page of the events after `cursor` that match, oldest first. */
  after(cursor: number, filter?: EventFilter, limit?: number): Promise<FeedEvent[]>;
  /** Every matching event after `fromCursor` (default: from now on), in order, none twice: the
   * history first, then live ones. Ends when the feed closes or the signal fires. */
  subscribe(filter: EventFilter, fromCursor?: number, options?: SubscribeOptions): AsyncIterable<FeedEvent>;
  /** Runs `check` (a read of the truth) now and after every matching event, until it returns a
   * value; fails with WaitTimeoutError when `timeoutMs` passes first. */
  waitFor<T>(filter: EventFilter, check: () => Promise<T | undefined>, options: WaitOptions): Promise<T>;
  /** Who holds the feed now: an idle feed has no subscriber, no waiter and no poll timer (what
   * tests and /metrics look at to see that leaving clients released everything). */
  stats(): EventFeedStats;
  /** Ends every subscription and fails every wait; the feed stops listening. */
  close(): Promise<void>;
}

export interface EventFeedStats {
  subscribers: number;
  waiters: number;
  polling: boolean;
}

const DEFAULTS = { pollMs: 1_000, gapGraceMs: 5_000, pageSize: 500, maxBuffered: 1_000 };

/** A feed holds nothing (no timer, no LISTEN) until its first reader. */
export function createEventFeed(database: Database, options: EventFeedOptions = {}): EventFeed {
  const settings = withDefaults<typeof DEFAULTS & { logger?: Logger }>(DEFAULTS, options);
  const reader = createSharedReader(database, settings);
  return {
    after: (cursor, filter = {}, limit = settings.pageSize) =>
      readEvents(database, cursor, filter, { limit }),
    subscribe: (filter, fromCursor, subscribeOptions = {}) => ({
      [Symbol.asyncIterator]: () =>
        subscribeEvents(reader, database, filter, fromCursor, {
          ...subscribeOptions,
          pageSize: settings.pageSize,
        }),
    }),
    waitFor: (filter, check, waitOptions) => waitForEvents(reader, filter, check, waitOptions),
    stats: () => ({
      subscribers: reader.subscribers.size,
      waiters: reader.waiters.size,
      polling: reader.polling,
    }),
    close: () => reader.close(),
  };
}
