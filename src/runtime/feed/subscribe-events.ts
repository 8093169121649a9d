// A subscription on the feed: the history after a cursor from the table, then live events from the
// shared reader, in id order, none twice; a subscriber that falls behind re-reads from its cursor.
import type { Database } from '../../db/client.ts';
import type { EventFilter, FeedEvent } from './event-filter.ts';
import { readEvents } from './read-events.ts';
import type { SharedReader, Subscriber } from './shared-reader.ts';
import { deferred } from './wait-for-events.ts';

export interface SubscribeOptions {
  /** Ends the subscription, also while it waits for the next event. */
  signal?: AbortSignal;
}

export async function* subscribeEvents(
  reader: SharedReader,
  database: Database,
  filter: EventFilter,
  fromCursor: number | undefined,
  options: SubscribeOptions & { pageSize: number },
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
  const ended = () => reader.closed || options.signal?.aborted === true;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  reader.subscribers.add(subscriber);
  try {
    await reader.ensureAwake();
    let cursor = fromCursor ?? reader.delivered;
    while (!ended()) {
      // Join the live read at `delivered`: what is at or before it comes from the table, what
      // follows it from the queue (both set in one synchronous step, so nothing falls between).
      const joinedAt = reader.delivered;
      subscriber.queue = [];
      subscriber.joining = subscriber.behind = false;
      while (cursor < joinedAt) {
        const page = await readEvents(database, cursor, filter, {
          limit: options.pageSize,
          through: joinedAt,
        });
        for (const event of page) {
          yield event;
          cursor = event.id;
        }
        if (page.length < options.pageSize) cursor = Math.max(cursor, joinedAt);
      }
      while (!subscriber.behind && !ended()) {
        const event = subscriber.queue.shift();
        if (!event) {
          signalled = deferred<void>();
          await signalled.promise;
        } else if (event.id > cursor) {
          // (A cursor from another gateway may be ahead of this one's reads.)
          yield event;
          cursor = event.id;
        }
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    reader.subscribers.delete(subscriber);
    reader.sleepIfIdle();
  }
}
