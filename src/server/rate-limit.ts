// Per-caller rate limit on mutations: a token bucket per API token (or per remote address when auth
// is off), refilled continuously. Each root field of a mutation takes one unit, so aliases cannot
// multiply one request. Past the limit a mutation is refused before it runs with code RATE_LIMITED,
// HTTP 429 and a Retry-After.
import { getOperationAST, GraphQLError, Kind, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context.ts';
import type { AuthCarrier } from './auth.ts';

export interface TokenBuckets {
  /** Takes `units` from `key`'s bucket; when it holds fewer, nothing is taken. */
  take(key: string, units: number): { ok: true } | { ok: false; retryAfterMs: number };
}

/** Buckets of `capacity` units refilled at `perMinute` units a minute, one per key. */
export function createTokenBuckets(
  capacity: number,
  perMinute: number,
  now: () => number = () => performance.now(),
): TokenBuckets {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { units: number; at: number }>();
  const level = (bucket: { units: number; at: number }, t: number) =>
    Math.min(capacity, bucket.units + (t - bucket.at) * perMs);
  return {
    take(key, units) {
      const t = now();
      if (buckets.size > 10_000) {
        // A full bucket is the same as none: forget those, so idle callers cost no memory.
        for (const [k, b] of buckets) if (level(b, t) >= capacity) buckets.delete(k);
      }
      const bucket = buckets.get(key) ?? { units: capacity, at: t };
      const available = level(bucket, t);
      if (available >= units) {
        buckets.set(key, { units: available - units, at: t });
        return { ok: true };
      }
      buckets.set(key, { units: available, at: t });
      const retryAfterMs = units > capacity ? Infinity : Math.ceil((units - available) / perMs);
      return { ok: false, retryAfterMs };
    },
  };
}

function countRootFields(selectionSet: SelectionSetNode, fragments: Map<string, SelectionSetNode>): number {
  let n = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) n += selection.name.value === '__typename' ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) n += countRootFields(selection.selectionSet, fragments);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment)
        n += countRootFields(fragment, new Map([...fragments].filter(([k]) => k !== selection.name.value)));
    }
  }
  return n;
}

/** Refuses mutations past `perMinute` per caller (bursts up to the same number); 0 turns it off. */
export function useMutationRateLimit(perMinute: number): Plugin<GraphQLContext> {
  if (perMinute <= 0) return {};
  const buckets = createTokenBuckets(perMinute, perMinute);
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const fragments = new Map<string, SelectionSetNode>();
      for (const d of args.document.definitions) {
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
      }
      const units = Math.max(1, countRootFields(operation.selectionSet, fragments));
      const ctx = args.contextValue as GraphQLContext & AuthCarrier;
      const key = ctx.viewer?.tokenId ? `token:${ctx.viewer.tokenId}` : `address:${ctx.jobgateAuth?.client}`;
      const taken = buckets.take(key, units);
      if (taken.ok) return;
      const seconds = Number.isFinite(taken.retryAfterMs) ? Math.ceil(taken.retryAfterMs / 1000) : undefined;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            seconds === undefined
              ? `this operation has ${units} mutations; the limit is ${perMinute} a minute`
              : `too many mutations (limit ${perMinute} a minute); retry in ${seconds} s`,
            {
              extensions: {
                code: 'RATE_LIMITED',
                ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
                http: {
                  status: 429,
                  ...(seconds === undefined ? {} : { headers: { 'retry-after': String(seconds) } }),
                },
              },
            },
          ),
        ],
      });
    },
  };
}
