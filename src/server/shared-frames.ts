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
//
// A subscription whose source offers direct delivery (lib/direct-delivery.ts) gets a frame sink as
// well: its shared results are written to the socket as the feed reads them, in the feed's loop
// over all its subscribers, and its iterator only yields what the sink refused or could not take
// (results with errors, unshared ones) and ends it. The sink writes only while graphql-ws holds the
// operation, and refuses once the socket has more than a bound unsent (a slow client): the feed then
// hands that subscriber's batches to its iterator again, which waits for each write as above.
// The sink closes when graphql-ws lets go of the operation (return() here, which it calls first on
// `complete` or close), so a later operation reusing the id never gets an earlier one's frame.
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

/** Writes a shared result's `next` frame to one subscription's socket. */
export interface FrameSink {
  /** Writes the frame of a result's JSON (sharedJson), or returns false and writes nothing when the
   * socket already holds more than its bound unsent. A frame for a socket no longer open, or after
   * close(), is dropped (true), as graphql-ws drops a frame for an operation it no longer holds. */
  send(json: string): boolean;
  close(): void;
}

/** The start of a `next` frame of operation `id`, to which the payload's JSON and `}` are added:
 * what graphql-ws's stringifyMessage makes of JSON.stringify({ id, type: 'next', payload }). */
const nextFramePrefix = (id: string) => `{"id":${JSON.stringify(id)},"type":"next","payload":`;

/** `maxBufferedBytes`: what the socket may hold unsent (ws's bufferedAmount) before the sink
 * refuses frames. */
export function createFrameSink(socket: WebSocket, id: string, maxBufferedBytes: number): FrameSink {
  const prefix = nextFramePrefix(id);
  let closed = false;
  return {
    send: (json) => {
      if (closed || socket.readyState !== socket.OPEN) return true;
      if (socket.bufferedAmount > maxBufferedBytes) return false;
      socket.send(prefix + json + '}');
      return true;
    },
    close: () => {
      closed = true;
    },
  };
}

/** Frame sinks by the operation's rootValue (one object per operation; see subscriptions.ts). */
const sinks = new WeakMap<object, FrameSink>();

/** Lends the subscription whose rootValue is `root` a frame sink (before it is subscribed). */
export function attachFrameSink(root: object, sink: FrameSink): void {
  sinks.set(root, sink);
}

/** The frame sink of the subscription whose rootValue is `root`, if its transport lent one. */
export function frameSinkOf(root: unknown): FrameSink | undefined {
  return typeof root === 'object' && root !== null ? sinks.get(root) : undefined;
}

export function sendSharedFrames(
  results: AsyncIterable<ExecutionResult>,
  socket: WebSocket,
  id: string,
  sharedJson: (result: ExecutionResult) => string | undefined,
  sink: FrameSink | undefined,
): AsyncGenerator<ExecutionResult, void, void> {
  const source = results[Symbol.asyncIterator]();
  const prefix = nextFramePrefix(id);
  let returned = false;
  const done = (): IteratorResult<ExecutionResult, void> => {
    sink?.close();
    return { done: true, value: undefined };
  };
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
      sink?.close();
      await source.return?.();
      return done();
    },
    throw: async (error?: unknown) => {
      returned = true;
      sink?.close();
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
