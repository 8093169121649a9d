import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/client.ts';
import { findApiToken } from '../db/tokens.ts';
import type { GraphQLContext, Viewer } from '../graphql/context.ts';

/** With auth off (loopback only) every caller is the local administrator. */
export const LOOPBACK_VIEWER: Viewer = { tokenId: null, name: 'loopback', role: 'admin' };

/** The token a request carries: `Authorization: Bearer`, or a dialect's own carrier. */
export function tokenFrom(headers: { get(name: string): string | null }, url?: URL): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    return match?.[1] ?? authorization.trim();
  }
  return headers.get('x-nomad-token') ?? url?.searchParams.get('token') ?? undefined;
}

export async function resolveViewer(
  database: Database,
  authEnabled: boolean,
  token: string | undefined,
): Promise<{ viewer: Viewer | null; authError?: string }> {
  if (!authEnabled) return { viewer: LOOPBACK_VIEWER };
  if (!token)
    return { viewer: null, authError: 'authentication required: send Authorization: Bearer <token>' };
  const row = await findApiToken(database, token);
  if (!row) return { viewer: null, authError: 'the token is not valid (unknown or revoked)' };
  return { viewer: { tokenId: row.id, name: row.name, role: row.role } };
}

/** Refuses every operation (query, mutation, subscription) of an unauthenticated caller. */
export function useAuth(): Plugin<GraphQLContext> {
  const refuse = (ctx: GraphQLContext) =>
    new GraphQLError(ctx.authError ?? 'authentication required', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      if (!ctx.viewer) setResultAndStopExecution({ errors: [refuse(ctx)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      if (!ctx.viewer) setResultAndStopExecution({ errors: [refuse(ctx)] });
    },
  };
}
