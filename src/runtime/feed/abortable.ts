// An async generator that waits for something (lines, metric changes) cannot be ended from outside
// while it waits: `return()` on a generator suspended at an `await` is queued until its next
// `yield`. A subscription left by its client (graphql-ws calls `return()`) must let go of its
// listener, queue and timers at once, so its iterator aborts a signal the generator watches first.
export function abortableIterable<T>(
  start: (signal: AbortSignal) => AsyncGenerator<T>,
  outer?: AbortSignal,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const controller = new AbortController();
      const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
      const generator = start(signal);
      const iterator: AsyncIterableIterator<T> = {
        next: () => generator.next(),
        return: (value?: unknown) => {
          controller.abort();
          return generator.return(value as T);
        },
        throw: (error?: unknown) => {
          controller.abort();
          return generator.throw(error);
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  };
}
