// One GraphQL operation behind a dialect route: its data, or the dialect's own error for the first
// GraphQL error (each dialect words and shapes it as its real system would).
import type { GraphQLFormattedError } from 'graphql';
import type { DialectContext } from './dialect.ts';

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
};

/** The HTTP status a GraphQL error stands for: its code (BAD_USER_INPUT 400, UNAUTHENTICATED 401,
 * FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409), a rate limit's 429, anything else (or none) 500. */
export function httpStatusOf(error: GraphQLFormattedError | undefined): number {
  const status = STATUS_OF_CODE[String(error?.extensions?.code ?? '')];
  if (status) return status;
  const http = error?.extensions?.http as { status?: number } | undefined;
  return http?.status === 429 ? 429 : 500;
}

/** Runs `document` as the request's viewer: its data, or what `toError` makes of the first error
 * (undefined when the answer carries neither data nor an error). */
export async function queryData<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown>,
  toError: (error: GraphQLFormattedError | undefined) => Error,
): Promise<T> {
  const result = await ctx.execute<T>({ document, variables });
  const error = result.errors?.[0];
  if (!error && result.data) return result.data;
  throw toError(error);
}
