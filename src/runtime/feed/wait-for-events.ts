// A wait on the feed: the truth is re-read now and after every matching event, until it holds.
import type { EventFilter } from './event-filter.ts';
import type { SharedReader, Waiter } from './shared-reader.ts';

/** How long a caller lets a wait run. */
export interface WaitLimits {
  /** The wait fails with a WaitTimeoutError after this long (default: no limit). */
  timeoutMs?: number;
  /** Ends the wait early; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WaitOptions extends WaitLimits {
  /** What is awaited, for the timeout's message (e.g. `run 3f… to end`). */
  what: string;
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

/** A promise with its resolve function outside (Node 20 has no Promise.withResolvers). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function waitForEvents<T>(
  reader: SharedReader,
  filter: EventFilter,
  check: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  let kick = deferred<void>();
  const ended = deferred<'timeout' | 'aborted' | 'closed'>();
  const waiter: Waiter = { filter, wake: () => kick.resolve(), close: () => ended.resolve('closed') };
  const onAbort = () => ended.resolve('aborted');
  const deadline =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => ended.resolve('timeout'), options.timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  reader.waiters.add(waiter);
  try {
    if (reader.closed) throw new FeedClosedError(options.what);
    options.signal?.throwIfAborted();
    await reader.ensureAwake();
    for (;;) {
      // A fresh kick before each check: an event that lands during the check wakes the next one.
      kick = deferred<void>();
      const value = await check();
      if (value !== undefined) return value;
      const outcome = await Promise.race([kick.promise.then(() => 'event' as const), ended.promise]);
      if (outcome === 'event') continue;
      if (outcome === 'aborted') throw options.signal!.reason;
      if (outcome === 'closed') throw new FeedClosedError(options.what);
      // The truth once more before failing: a change whose event the feed missed still counts.
      const last = await check();
      if (last !== undefined) return last;
      throw new WaitTimeoutError(options.what, options.timeoutMs!);
    }
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    reader.waiters.delete(waiter);
    reader.sleepIfIdle();
  }
}
