// A subscription payload that many subscribers receive as the same object, and whose GraphQL result
// depends on nothing but the payload itself, the operation's document and variables, and the
// viewer's role (no loader, no viewer id, no clock). The server may then execute a selection of it
// once per distinct (document, variables, role) and send every such subscriber the same serialized
// result (server/shared-subscription-results.ts). The runtime marks what it hands out shared (the
// log feed's batches); anything unmarked is executed per subscriber as usual.
const SHARED_PAYLOAD: unique symbol = Symbol('jobgate.sharedPayload');

/** Marks `payload` as shared (see the file comment) and returns it. */
export function markSharedPayload<T extends object>(payload: T): T {
  Object.defineProperty(payload, SHARED_PAYLOAD, { value: true, enumerable: false });
  return payload;
}

export function isSharedPayload(payload: unknown): payload is object {
  return typeof payload === 'object' && payload !== null && SHARED_PAYLOAD in payload;
}
