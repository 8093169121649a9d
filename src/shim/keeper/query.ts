// Runs the GraphQL operation behind a Keeper route. Keeper has no error format of its own, so
// GraphQL's codes become what Keeper would answer: FORBIDDEN its token refusal (200 `Access
// Denied.`), NOT_FOUND akka's 404, BAD_USER_INPUT and CONFLICT a 400 with the message, anything else
// akka's 500 (the masked message stays masked).
import type { GraphQLFormattedError } from 'graphql';
import { queryData, type DialectContext } from '../core/index.ts';
import { ACCESS_DENIED, AkkaText, KeeperRestError } from './respond.ts';

function keeperError(error: GraphQLFormattedError | undefined): KeeperRestError {
  const http = error?.extensions?.http as { status?: number } | undefined;
  switch (error?.extensions?.code) {
    case 'FORBIDDEN':
    case 'UNAUTHENTICATED':
      return new KeeperRestError(200, ACCESS_DENIED);
    case 'NOT_FOUND':
      return new KeeperRestError(404, AkkaText.notFound);
    case 'BAD_USER_INPUT':
    case 'CONFLICT':
      return new KeeperRestError(400, error.message);
    default:
      return http?.status === 429
        ? new KeeperRestError(429, 'Too Many Requests')
        : new KeeperRestError(500, AkkaText.internal);
  }
}

/** The operation's data, or a KeeperRestError. */
export function query<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  return queryData<T>(ctx, document, variables, keeperError);
}

/** Like query, but a GraphQL error code in `expected` answers undefined instead of throwing. */
export async function tryQuery<T>(
  ctx: DialectContext,
  document: string,
  variables: Record<string, unknown>,
  expected: readonly string[],
): Promise<T | undefined> {
  const result = await ctx.execute<T>({ document, variables });
  const error = result.errors?.[0];
  if (!error && result.data) return result.data;
  if (error && expected.includes(String(error.extensions?.code))) return undefined;
  throw keeperError(error);
}
