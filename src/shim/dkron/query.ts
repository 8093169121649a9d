// Runs the GraphQL operation behind a Dkron route and turns GraphQL's error codes into Dkron's
// answers: BAD_USER_INPUT is a 400 job validation failure, NOT_FOUND the route's own 404, FORBIDDEN
// 403 with the reason, a rate limit 429, anything else 500 with Dkron's generic text (masked).
import type { GraphQLFormattedError } from 'graphql';
import { queryData, type DialectContext } from '../core/index.ts';
import { DkronError, validationFailed } from './respond.ts';

export interface QueryOptions {
  /** The 404 body when the operation answers NOT_FOUND ('' = status only, Dkron's AbortWithError). */
  notFound?: string;
}

/** The operation's first error as a DkronError. */
export function dkronErrorOf(
  error: GraphQLFormattedError | undefined,
  options: QueryOptions = {},
): DkronError {
  const http = error?.extensions?.http as { status?: number } | undefined;
  switch (error?.extensions?.code) {
    case 'NOT_FOUND':
      return new DkronError(404, options.notFound ?? '');
    case 'BAD_USER_INPUT':
      return validationFailed(error.message.replace(/\.$/, ''));
    case 'UNAUTHENTICATED':
      return new DkronError(401, error.message);
    case 'FORBIDDEN':
      return new DkronError(403, error.message);
    case 'CONFLICT':
      return new DkronError(409, error.message);
    default:
      return http?.status === 429
        ? new DkronError(429, 'Too many requests')
        : new DkronError(500, 'Internal server error');
  }
}

/** The operation's data, or a DkronError for its first error. */
export function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
  options: QueryOptions = {},
): Promise<T> {
  return queryData<T>(ctx, document, variables, (error) => dkronErrorOf(error, options));
}
