// Runs the GraphQL operation behind a Nomad route and turns GraphQL's error codes into Nomad's
// answers: FORBIDDEN is Nomad's 403 `Permission denied` (what an ACL token without the capability
// gets), NOT_FOUND the route's own 404 text, BAD_USER_INPUT a 400 with the message, a rate limit
// 429, anything else 500 with the masked message.
import type { GraphQLFormattedError } from 'graphql';
import { queryData, type DialectContext } from '../core/index.ts';
import { NomadError, NomadMessage } from './respond.ts';

export interface QueryOptions {
  /** The 404 text when the operation answers NOT_FOUND (e.g. `job not found`). */
  notFound?: string;
}

/** The NomadError for one GraphQL error. */
export function nomadErrorOf(error: GraphQLFormattedError, options: QueryOptions = {}): NomadError {
  const http = error.extensions?.http as { status?: number } | undefined;
  switch (error.extensions?.code) {
    case 'NOT_FOUND':
      return new NomadError(404, options.notFound ?? error.message);
    case 'BAD_USER_INPUT':
      return new NomadError(400, error.message);
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return new NomadError(403, NomadMessage.permissionDenied);
    case 'CONFLICT':
      return new NomadError(409, error.message);
    default:
      if (http?.status === 429) return new NomadError(429, error.message);
      return new NomadError(500, 'Unexpected error.');
  }
}

/** The operation's data, or the NomadError of its first error. */
export function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
  options: QueryOptions = {},
): Promise<T> {
  return queryData<T>(ctx, document, variables, (error) =>
    error ? nomadErrorOf(error, options) : new NomadError(500, 'Unexpected error.'),
  );
}
