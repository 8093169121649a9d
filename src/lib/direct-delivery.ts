// A subscription source whose consumer may take events as plain synchronous calls instead of pulling
// each one through its iterator. Pulling costs several promises per subscriber per event across the
// chain a subscription result passes through (the feed's generator, envelop's result mapping, the
// shared-result mapping, graphql-ws's for-await): at 10,000 subscribers of one log stream that chain,
// not the work of the event, was most of the gateway's CPU per delivered frame. The runtime offers it
// (the log feed); the server accepts it for WebSocket subscriptions (server/shared-frames.ts).
//
// The contract, for the source: it calls `deliver(event)` synchronously, in order, with events it
// would otherwise yield, only while its consumer waits in `next()` with nothing yielded and not taken
// (so a frame the iterator yielded is written before any delivered one); an event for which
// `deliver` returns false (the consumer cannot take it now) and every one after it are yielded from
// the iterator instead, until the source chooses to deliver again. Nothing is both delivered and
// yielded. For the consumer: `deliver` writes the event or refuses it, and does not throw.
const DIRECT_DELIVERY: unique symbol = Symbol('jobgate.directDelivery');

/** Takes an event at once, or refuses it (false); see the file comment. */
export type Deliver<T> = (event: T) => boolean;

interface DirectDeliverySource<T> {
  [DIRECT_DELIVERY](deliver: Deliver<T>): void;
}

/** `source`, offering direct delivery: `accept` receives the consumer's `deliver`, before the
 * source is iterated. */
export function offerDirectDelivery<T, S extends AsyncIterable<T>>(
  source: S,
  accept: (deliver: Deliver<T>) => void,
): S {
  Object.defineProperty(source, DIRECT_DELIVERY, { value: accept, enumerable: false });
  return source;
}

/** Hands `source` the consumer's `deliver` if it offers direct delivery (call it before iterating
 * it); false if it does not, and then everything comes through its iterator. */
export function acceptDirectDelivery(source: unknown, deliver: Deliver<unknown>): boolean {
  if (typeof source !== 'object' || source === null || !(DIRECT_DELIVERY in source)) return false;
  (source as DirectDeliverySource<unknown>)[DIRECT_DELIVERY](deliver);
  return true;
}
