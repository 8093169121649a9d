// The REST dialects (Flink, SeaTunnel, Dkron, Nomad, Keeper) and what the router gives each request.
// A dialect is a client of the GraphQL schema: its handler parses the REST request, runs one
// operation with ctx.execute (as the request's viewer, through every check GraphQL has), and shapes
// the answer as the real system would. Each registered dialect is mounted under /compat/<name>/ on
// the main port and, unless its port is 0, on a port of its own (its paths there without the prefix).
import type { ExecutionResult } from 'graphql';
import type { Viewer } from '../graphql/context.ts';
import type { Refusal } from './browser-guard.ts';
import type { ExecuteRequest } from './execute.ts';

/** What the router knows about one dialect request when it calls the dialect. */
export interface DialectContext {
  /** The path inside the dialect, the same on either mount: `/jobs/overview` for both
   * `/compat/flink/jobs/overview` and `:8081/jobs/overview`. Always starts with `/`. */
  path: string;
  /** Who asks (auth already checked: with auth on, a request without a valid token never gets here). */
  viewer: Viewer;
  /** Runs one GraphQL operation as this request's viewer (execute.ts), counted against the same
   * rate-limit bucket as the viewer's GraphQL requests, aborted when the client goes away. */
  execute<TResult = Record<string, unknown>, TVariables = Record<string, unknown>>(
    request: Omit<ExecuteRequest<TResult, TVariables>, 'viewer' | 'client' | 'signal'>,
  ): Promise<ExecutionResult<TResult>>;
}

export interface Dialect {
  /** The name in /compat/<name>/ and in the port option (`--<name>-port`). */
  name: string;
  /** The real system's documented port, used when the configuration names none for this dialect. */
  defaultPort: number;
  /** Answers one request. The body is limited in size: reading past the limit rejects, and the
   * router then answers 413 itself. A thrown error is logged and answered 500, masked. */
  handle(request: Request, ctx: DialectContext): Promise<Response>;
  /** Shapes the router's own refusals (401 without a valid token, 413, 500) as the real system's
   * error bodies; without it they are GraphQL-style `{ errors: [{ message, extensions: { code } }] }`. */
  refuse?(refusal: Refusal): Response;
}

/** The dialects jobgate serves (none yet: each arrives with its own issue, under src/shim/<name>/). */
export const DIALECTS: readonly Dialect[] = [];
