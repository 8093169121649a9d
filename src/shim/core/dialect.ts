// What a REST dialect is, and what the server gives each of its requests. A dialect is a client of
// the GraphQL schema: its routes parse the REST request, run GraphQL operations with ctx.execute (as
// the request's viewer, through every check GraphQL has) and shape the answer as the real system
// would. The server mounts each dialect under /compat/<name>/ and on a port of its own; this file
// defines the seam so that shim/ never imports server/ (imports point server → shim → graphql).
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Viewer } from '../../graphql/context.ts';

/**
 * A parsed document that knows its result and variables types, the shape of graphql-codegen's
 * `TypedDocumentNode` (@graphql-typed-document-node/core), so generated documents fit as they are.
 */
export interface TypedDocument<
  TResult = Record<string, unknown>,
  TVariables = Record<string, unknown>,
> extends DocumentNode {
  /** Never set at run time; carries the types only. */
  __apiType?: (variables: TVariables) => TResult;
}

/** One GraphQL operation a dialect runs. */
export interface DialectOperation<TResult = Record<string, unknown>, TVariables = Record<string, unknown>> {
  /** The operation's text, or a parsed (typed) document; a document is printed once and then cached. */
  document: string | TypedDocument<TResult, TVariables>;
  variables?: TVariables;
  /** Which operation of the document to run, when it holds several. */
  operationName?: string;
}

/**
 * Runs one operation as the request's viewer. The result is what GraphQL over HTTP would carry:
 * `data` and/or `errors`, each error with `extensions.code` (unexpected errors masked to
 * "Unexpected error."); an error may also carry `extensions.http` (a status such as 429) that a
 * dialect may use to choose its own status and must not echo.
 */
export type DialectExecute = <TResult = Record<string, unknown>, TVariables = Record<string, unknown>>(
  operation: DialectOperation<TResult, TVariables>,
) => Promise<ExecutionResult<TResult>>;

/** What the server knows about one dialect request when it calls the dialect. */
export interface DialectContext {
  /** The path inside the dialect, the same on either mount: `/jobs/overview` for both
   * `/compat/flink/jobs/overview` and `:8081/jobs/overview`. Always starts with `/`. */
  path: string;
  /** Who asks (auth already checked: with auth on, a request without a valid token never gets here). */
  viewer: Viewer;
  /** Runs one GraphQL operation as this request's viewer, counted against the same rate-limit
   * bucket as the viewer's GraphQL requests, aborted when the client goes away. */
  execute: DialectExecute;
  /** The request's Origin when the server's CORS policy allows it (configured origins only), so a
   * dialect that answers browsers (Flink's dashboard) may name it; undefined otherwise. */
  corsOrigin?: string;
}

/** A refusal the server makes before or around a dialect's own answer (401, 413, 500, ...). */
export interface DialectRefusal {
  status: number;
  /** A machine-readable reason, e.g. UNAUTHENTICATED, REQUEST_ENTITY_TOO_LARGE. */
  code: string;
  message: string;
}

export interface Dialect {
  /** The name in /compat/<name>/ and in the port option (`--<name>-port`). */
  name: string;
  /** The real system's documented port, used when the configuration names none for this dialect. */
  defaultPort: number;
  /** Answers one request. The body is limited in size: reading past the limit rejects, and the
   * server then answers 413 itself. A thrown error is logged and answered 500, masked. */
  handle(request: Request, ctx: DialectContext): Promise<Response>;
  /** A larger body limit for this one request (method and dialect path), e.g. Flink's jar upload,
   * which Flink exempts from its request limit; undefined keeps the server's limit. A value below
   * the server's limit does not lower it. */
  maxBodyBytes?(method: string, path: string): number | undefined;
  /** Whether the real system's clients send the API token as `?token=` in the URL (Keeper: its only
   * carrier). Everywhere else a token in the URL is refused with 401, since URLs end up in logs,
   * proxies and browser history. */
  acceptsQueryToken?: boolean;
  /** Shapes the server's own refusals (401 without a valid token, 413, 500) as the real system's
   * error bodies; without it they are GraphQL-style `{ errors: [{ message, extensions: { code } }] }`. */
  refuse?(refusal: DialectRefusal): Response;
}
