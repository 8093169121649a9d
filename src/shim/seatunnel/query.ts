// Runs the GraphQL operation behind a SeaTunnel route and turns GraphQL's error codes into statuses:
// BAD_USER_INPUT 400, UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409, a rate limit
// 429, anything else 500 with the masked message. Routes that answer a code otherwise (Zeta has no
// 404 for an unknown job) catch the error and read its `code`.
import { httpStatusOf, queryData, type DialectContext } from '../core/index.ts';
import { SeaTunnelRestError } from './respond.ts';

/** A failed GraphQL operation: the status it maps to, and GraphQL's own code. */
export class SeaTunnelQueryError extends SeaTunnelRestError {
  readonly code: string;

  constructor(status: number, message: string, code: string) {
    super(status, message);
    this.name = 'SeaTunnelQueryError';
    this.code = code;
  }
}

/** The operation's data, or a SeaTunnelQueryError carrying the first error's status and code. */
export function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  return queryData<T>(ctx, document, variables, (error) => {
    const status = httpStatusOf(error);
    const code = String(error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    const message = status === 500 ? 'Internal server error.' : error!.message;
    return new SeaTunnelQueryError(status, message, code);
  });
}

/** The operation's data, or null when it answers NOT_FOUND. */
export async function queryOrNull<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
): Promise<T | null> {
  try {
    return await query<T>(ctx, document, variables);
  } catch (err) {
    if (err instanceof SeaTunnelQueryError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
}
