// Runs the GraphQL operation behind a Flink route and turns GraphQL's error codes into Flink's
// statuses: NOT_FOUND into the route's own 404 wording, FORBIDDEN 403, BAD_USER_INPUT 400, a rate
// limit 429, anything else 500 "Internal server error." (the masked message stays masked).
import { httpStatusOf, queryData, type DialectContext } from '../core/index.ts';
import { FlinkException, FlinkRestError } from './respond.ts';

interface QueryOptions {
  /** The 404 message when the operation answers NOT_FOUND (e.g. `Job <id> not found`). */
  notFound?: string;
}

/** The operation's data, or a FlinkRestError carrying the first error's status. */
export function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
  options: QueryOptions = {},
): Promise<T> {
  return queryData<T>(ctx, document, variables, (error) => {
    const status = httpStatusOf(error);
    if (status === 404 && options.notFound) {
      return new FlinkRestError(404, options.notFound, FlinkException.notFound);
    }
    if (status === 500) return new FlinkRestError(500, 'Internal server error.');
    return new FlinkRestError(status, error!.message);
  });
}
