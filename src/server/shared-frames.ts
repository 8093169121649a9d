// Sends a subscription's shared results (shared-subscription-results.ts) as pre-serialized `next`
// frames, so 10,000 subscribers of one log stream cost one JSON.stringify per batch instead of one
// per subscriber. The frame is the one graphql-ws would send, byte for byte: its stringifyMessage is
// JSON.stringify({ id, type: 'next', payload }), here with the payload's JSON spliced in. Anything
// else (results with errors, unshared results, errors, completion) is yielded to graphql-ws as usual.
//
// It wraps the operation's result in graphql-ws's onOperation hook, so graphql-ws still owns the
// subscription: it iterates this, calls `return()` on `complete` or close, and sends `complete` or
// `error` after the last frame. Like graphql-ws's own send, the next result is pulled only once the
// frame was written to the socket (per-client backpressure: a slow client stops pulling, and its
// feed pauses it), and nothing is sent on a socket that is no longer open. (graphql-ws's `onNext`
// hook is not called for these frames; jobgate does not use it.)
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

export function sendSharedFrames(
  results: AsyncIterable<ExecutionResult>,
  socket: WebSocket,
  id: string,
  sharedJson: (result: ExecutionResult) => string | undefined,
): AsyncGenerator<ExecutionResult, void, void> {
  const source = results[Symbol.asyncIterator]();
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  let returned = false;
  const done = (): IteratorResult<ExecutionResult, void> => ({ done: true, value: undefined });
  const send = (frame: string) =>
    new Promise<void>((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(frame, (err) => (err ? reject(err) : resolve()));
    });
  const iterator: AsyncGenerator<ExecutionResult, void, void> = {
    next: async () => {
      for (;;) {
        const step = await source.next();
        if (step.done || returned) return done();
        const json = sharedJson(step.value);
        if (json === undefined) return step;
        await send(prefix + json + '}');
        if (returned) return done();
      }
    },
    return: async () => {
      returned = true;
      await source.return?.();
      return done();
    },
    throw: async (error?: unknown) => {
      returned = true;
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
