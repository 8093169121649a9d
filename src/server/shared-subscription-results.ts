// Subscription results computed once for many subscribers. The default executor runs an
// operation's selection again for every subscriber and every event: 10,000 subscribers of one log
// stream cost 10,000 executions per batch (28% of the gateway's CPU at 5,000 in the fan-out bench,
// and most of its garbage). An event the runtime marks shared (lib/shared-payload.ts: the same
// object for every subscriber, its result a function of the document, variables and role only) is
// executed once per distinct (document, operation name, variables, role), and the result is kept
// on the event (a WeakMap: it lives as long as the event does) for the other subscribers. Its JSON
// is kept too, so the WebSocket transport can send the same serialized payload to all of them
// (shared-frames.ts). Unmarked events are executed per subscriber, as before.
//
// The plugin replaces the subscribe function (graphql-js's createSourceEventStream and execute,
// which is what yoga's default does for a subscription without @defer/@stream); auth, limits and
// the input guard still run before it (their onSubscribe hooks), and masking after it.
//
// When the transport lent the subscription a frame sink (shared-frames.ts) and its source offers
// direct delivery (lib/direct-delivery.ts), shared events are written through the sink as the source
// hands them over, without passing through the iterators below; whatever needs them (an unshared
// event, a result with errors to mask, one still pending) is refused and comes through the iterator.
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context.ts';
import { acceptDirectDelivery } from '../lib/direct-delivery.ts';
import { isSharedPayload } from '../lib/shared-payload.ts';
import { frameSinkOf, type FrameSink } from './shared-frames.ts';

export interface SharedSubscriptionStats {
  /** Selections executed for shared events (once per event and distinct operation). */
  executed: number;
  /** Results of shared events reused for another subscriber instead of executed again. */
  reused: number;
}

export interface SharedSubscriptionResults {
  /** Put it after the plugins whose onSubscribe may refuse (auth, limits, input guard). */
  plugin: Plugin;
  /** The JSON of a shared result without errors (computed once), else undefined: a result that
   * is not shared, or carries errors (those go through masking and graphql-ws's own path). */
  sharedJson(result: unknown): string | undefined;
  stats(): SharedSubscriptionStats;
}

type Result = ExecutionResult | Promise<ExecutionResult>;

/** Maps each event of `source` to a result; an error of the source is located at the operation
 * (as yoga's default executor does), so masking sees the same error either way. */
function mapEvents(
  source: AsyncIterable<unknown>,
  map: (event: unknown) => Result,
  operation: OperationDefinitionNode | undefined,
): AsyncGenerator<ExecutionResult, void, void> {
  const events = source[Symbol.asyncIterator]();
  const located = (error: unknown) =>
    error instanceof GraphQLError
      ? error
      : new GraphQLError(error instanceof Error ? error.message : String(error), {
          originalError: error instanceof Error ? error : undefined,
          nodes: operation ? [operation] : undefined,
        });
  const done = (): IteratorResult<ExecutionResult, void> => ({ done: true, value: undefined });
  const iterator: AsyncGenerator<ExecutionResult, void, void> = {
    next: async () => {
      let step: IteratorResult<unknown>;
      try {
        step = await events.next();
      } catch (error) {
        throw located(error);
      }
      if (step.done) return done();
      try {
        return { done: false, value: await map(step.value) };
      } catch (error) {
        await events.return?.();
        throw error;
      }
    },
    return: async () => {
      await events.return?.();
      return done();
    },
    throw: async (error?: unknown) => {
      await events.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

export function createSharedSubscriptionResults(): SharedSubscriptionResults {
  /** Documents by object: documentCache hands every subscriber of the same text the same one. */
  const documentIds = new WeakMap<DocumentNode, number>();
  let documents = 0;
  /** Per shared event, its results by operation key. */
  const results = new WeakMap<object, Map<string, Result>>();
  /** Results of shared events, and their JSON once asked for. */
  const sharedResults = new WeakMap<ExecutionResult, string | null>();
  const stats: SharedSubscriptionStats = { executed: 0, reused: 0 };

  const operationKey = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = ++documents));
    const role = (args.contextValue as GraphQLContext | undefined)?.viewer?.role ?? '';
    return `${id}\n${args.operationName ?? ''}\n${role}\n${JSON.stringify(args.variableValues ?? {})}`;
  };

  const resultFor = (event: object, key: string, args: ExecutionArgs): Result => {
    let byOperation = results.get(event);
    if (!byOperation) results.set(event, (byOperation = new Map()));
    const known = byOperation.get(key);
    if (known) {
      stats.reused++;
      return known;
    }
    stats.executed++;
    const remember = (result: ExecutionResult) => {
      sharedResults.set(result, null);
      byOperation.set(key, result);
      return result;
    };
    const result = execute({ ...args, rootValue: event });
    // (Selections of shared events resolve synchronously; a promise is shared until it settles.)
    if (!(result instanceof Promise)) return remember(result);
    const pending = result.then(remember);
    byOperation.set(key, pending);
    pending.catch(() => byOperation.delete(key));
    return pending;
  };

  const jsonOf = (result: ExecutionResult): string | undefined => {
    const json = sharedResults.get(result);
    if (json !== null) return json;
    if (result.errors) return undefined;
    // graphql-ws sends `{ ...result }` without `errors`: for a result without errors the same JSON.
    const made = JSON.stringify(result);
    sharedResults.set(result, made);
    return made;
  };

  /** Direct delivery of one event to one subscriber: its shared result through its frame sink, or
   * false for what must take the iterator path. */
  const deliverShared = (event: unknown, key: string, args: ExecutionArgs, sink: FrameSink): boolean => {
    if (!isSharedPayload(event)) return false;
    const result = resultFor(event, key, args);
    if (result instanceof Promise) return false;
    const json = jsonOf(result);
    return json !== undefined && sink.send(json);
  };

  const subscribe = async (args: ExecutionArgs) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const key = operationKey(args);
    const sink = frameSinkOf(args.rootValue);
    if (sink) acceptDirectDelivery(source, (event) => deliverShared(event, key, args, sink));
    const operation = args.document.definitions.find(
      (d): d is OperationDefinitionNode =>
        d.kind === 'OperationDefinition' && (!args.operationName || d.name?.value === args.operationName),
    );
    return mapEvents(
      source,
      (event) =>
        isSharedPayload(event) ? resultFor(event, key, args) : execute({ ...args, rootValue: event }),
      operation,
    );
  };

  return {
    plugin: {
      onSubscribe({ setSubscribeFn }) {
        setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
      },
    },
    sharedJson: (result) =>
      typeof result === 'object' && result !== null ? jsonOf(result as ExecutionResult) : undefined,
    stats: () => ({ ...stats }),
  };
}
