// Runs the GraphQL operation behind a Flink route and turns GraphQL's error codes into Flink's
// statuses: NOT_FOUND into the route's own 404 wording, FORBIDDEN 403, BAD_USER_INPUT 400, a rate
// limit 429, anything else 500 "Internal server error." (the masked message stays masked).
import type { GraphQLFormattedError } from 'graphql';
import type { DialectContext } from '../core/index.ts';
import { FlinkException, FlinkRestError } from './respond.ts';

interface QueryOptions {
  /** The 404 message when the operation answers NOT_FOUND (e.g. `Job <id> not found`). */
  notFound?: string;
}

function statusOf(error: GraphQLFormattedError): number {
  const http = error.extensions?.http as { status?: number } | undefined;
  switch (error.extensions?.code) {
    case 'NOT_FOUND':
      return 404;
    case 'BAD_USER_INPUT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'CONFLICT':
      return 409;
    default:
      return http?.status === 429 ? 429 : 500;
  }
}

/** The operation's data, or a FlinkRestError carrying the first error's status. */
export async function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
  options: QueryOptions = {},
): Promise<T> {
  const result = await ctx.execute<T>({ document, variables });
  const error = result.errors?.[0];
  if (!error && result.data) return result.data;
  const status = error ? statusOf(error) : 500;
  if (status === 404 && options.notFound) {
    throw new FlinkRestError(404, options.notFound, FlinkException.notFound);
  }
  if (status === 500) throw new FlinkRestError(500, 'Internal server error.');
  throw new FlinkRestError(status, error!.message);
}
