// Runs one GraphQL operation in-process for a viewer the caller has already resolved: the seam the
// REST dialects are built on (a dialect route parses its request, executes one operation, shapes the
// answer). It goes through yoga.getEnveloped, as HTTP and WebSocket do, so every envelop plugin
// applies in the same order: the document cache, the token limit (parse), the depth/alias/directive/
// cost limits and the admin-only suggestions (validation), the input guard, the mutation rate limit
// (the same bucket as the viewer's HTTP requests), the role checks of the schema and error masking.
// Only the document length is checked here, as the WebSocket path does: yoga checks it in onParams,
// which belongs to its HTTP handling and does not run for getEnveloped.
import { getOperationAST, GraphQLError, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext, Viewer } from '../graphql/context.ts';
import type { TypedDocument } from '../shim/core/index.ts';
import type { RequestAuth } from './auth.ts';
import type { MaskError } from './errors.ts';
import { documentTooLarge } from './limits.ts';

export type { TypedDocument };

export interface ExecuteRequest<TResult, TVariables> {
  /** The operation's text, or a parsed (typed) document; a document is printed once and then cached. */
  document: string | TypedDocument<TResult, TVariables>;
  variables?: TVariables;
  /** Which operation of the document to run, when it holds several. */
  operationName?: string;
  /** Who asks, as resolveViewer resolved them (role and name); the schema's role checks apply. */
  viewer: Viewer;
  /** Whom per-caller limits count when the viewer has no token (auth off): the remote address of
   * the request being answered; "in-process" when there is none. */
  client?: string;
  /** Aborts the operation; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The result as GraphQL over HTTP would carry it: `data` and/or `errors`, each error with
 * `extensions.code` (unexpected errors masked to "Unexpected error."). An error may also carry
 * `extensions.http` (the status and headers the GraphQL endpoint would answer with, e.g. 429 and
 * Retry-After); a dialect may use it to choose its own status and must not echo it.
 */
export type Execute = <TResult = Record<string, unknown>, TVariables = Record<string, unknown>>(
  request: ExecuteRequest<TResult, TVariables>,
) => Promise<ExecutionResult<TResult>>;

export interface ExecuteOptions {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  /** The app's masking function, the one yoga masks HTTP answers with. */
  maskError: MaskError;
  /** Longest document text accepted, in characters (QueryLimits.maxDocumentLength). */
  maxDocumentLength: number;
}

const UNEXPECTED = 'Unexpected error.';

export function createExecute(options: ExecuteOptions): Execute {
  const { yoga, maskError, maxDocumentLength } = options;
  /** Documents given parsed are printed once: the cache and the token limit work on the text. */
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: string | DocumentNode): string => {
    if (typeof document === 'string') return document;
    let text = printed.get(document);
    if (text === undefined) printed.set(document, (text = print(document)));
    return text;
  };
  const masked = (errors: readonly unknown[]) => ({
    errors: errors.map((error) => maskError(error, UNEXPECTED) as GraphQLError),
  });

  return async <TResult, TVariables>(request: ExecuteRequest<TResult, TVariables>) => {
    const { viewer, operationName, signal } = request;
    signal?.throwIfAborted();
    const query = textOf(request.document);
    if (query.length > maxDocumentLength) return masked([documentTooLarge(query.length, maxDocumentLength)]);
    const variables = (request.variables ?? undefined) as Record<string, unknown> | undefined;
    const jobgateAuth: RequestAuth = { viewer, client: request.client ?? 'in-process' };
    try {
      // The same steps, in the same order, as yoga's processRequest for an HTTP request.
      const enveloped = yoga.getEnveloped({ jobgateAuth, params: { query, variables, operationName } });
      const document = enveloped.parse(query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return masked(errors);
      if (getOperationAST(document, operationName)?.operation === 'subscription') {
        return masked([
          new GraphQLError('a subscription cannot be executed in-process; subscribe over WebSocket', {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ]);
      }
      const contextValue = await enveloped.contextFactory();
      signal?.throwIfAborted();
      const result = await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: variables,
        operationName,
        signal,
      } as Parameters<typeof enveloped.execute>[0]);
      // A query compiled by graphql-jit answers with its own serializer attached; callers get the
      // plain result.
      const { stringify: _serializer, ...plain } = result as ExecutionResult<TResult> & {
        stringify?: unknown;
      };
      return plain;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      return masked([err]);
    }
  };
}
