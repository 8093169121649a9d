// What the event subscriptions share: reading a client's cursor, and turning a feed stream into an
// iterable that graphql-js can end at once.
import { BadInputError } from '../lib/errors.ts';
import type { GraphQLContext } from './context.ts';
import { createLoaders } from './loaders.ts';

/** The cursor that means "what happens from now on", skipping the history. */
export const HEAD_CURSOR = 'HEAD';

/**
 * A client's `after`: an event's cursor (its id), "HEAD" (undefined: from now on), or none (then
 * `absent`: 0 for the whole history, undefined for from now on). Anything else is BAD_USER_INPUT
 * naming `path`.
 */
export function parseEventCursor(
  after: string | null | undefined,
  path: string,
  absent: number | undefined,
): number | undefined {
  if (after === null || after === undefined) return absent;
  if (after === HEAD_CURSOR) return undefined;
  if (!/^\d{1,15}$/.test(after)) {
    throw new BadInputError(`${path}: must be a cursor from an earlier event, or "${HEAD_CURSOR}"`, {
      path,
    });
  }
  return Number(after);
}

/**
 * A stream graphql-js can end while it waits: ending it (the client unsubscribed, left, or the
 * server stops) aborts the signal `open` was given. An async generator's own return() waits for
 * its pending next() (the feed's wait for the next event, maybe minutes), so without the signal
 * a departed client's subscriber would stay on the feed until the next event.
 */
export function abortableStream<T>(open: (signal: AbortSignal) => AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const controller = new AbortController();
      const inner = open(controller.signal)[Symbol.asyncIterator]();
      const done = { done: true, value: undefined } as IteratorReturnResult<undefined>;
      return {
        next: () => inner.next(),
        async return() {
          controller.abort();
          await inner.return?.();
          return done;
        },
        async throw(err: unknown) {
          controller.abort();
          await inner.return?.();
          throw err;
        },
      };
    },
  };
}

/**
 * Called as each event is answered. A subscription's context lives as long as the subscription, but
 * each event must read the run (checkpoint, node) as it is now, not as the first event found it:
 * so every event gets fresh loaders. Their statements still go out together with those of every
 * other subscriber answering the same event in the same tick (loaders.ts, createLoad).
 */
export function freshLoaders(ctx: GraphQLContext): void {
  ctx.loaders = createLoaders(ctx.database);
}
