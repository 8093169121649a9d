import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { IncomingMessage } from 'node:http';
import type { Database } from '../db/client.ts';
import { findApiToken } from '../db/tokens.ts';
import type { GraphQLContext, Viewer } from '../graphql/context.ts';

/** With auth off (loopback only) every caller is the local administrator. */
export const LOOPBACK_VIEWER: Viewer = { tokenId: null, name: 'loopback', role: 'admin' };

/** Who sent a request, resolved before its document is read. */
export interface RequestAuth {
  viewer: Viewer | null;
  /** Why authentication failed. */
  authError?: string;
  /** The remote address (or "in-process"): whom per-caller limits count when there is no token. */
  client: string;
}

/** Where the request's auth travels with yoga's (and graphql-ws's) initial context. */
export interface AuthCarrier {
  jobgateAuth?: RequestAuth;
}

/** The token a request carries in a header: `Authorization: Bearer`, or a dialect's own header
 * (Nomad's X-Nomad-Token, Dkron Pro's X-Dkron-Token). */
export function tokenFrom(headers: { get(name: string): string | null }): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    return match?.[1] ?? authorization.trim();
  }
  return headers.get('x-nomad-token') ?? headers.get('x-dkron-token') ?? undefined;
}

/** Why a token in the URL is refused where no client needs it there. */
export const QUERY_TOKEN_REFUSED =
  'a token in the URL (?token=) is refused here: URLs end up in logs, proxies and browser history; ' +
  'send it in the Authorization header (Authorization: Bearer <token>)';

/**
 * Who sent a request, from its headers and, only where a dialect's real clients can send it no other
 * way (Keeper: `?token=` is its only carrier), its URL. Elsewhere a URL with `token=` is refused even
 * beside a good header, so that the client that put it there learns to stop. With auth off no token
 * is read at all.
 */
export async function authenticateRequest(
  database: Database,
  authEnabled: boolean,
  request: { headers: { get(name: string): string | null }; url: URL },
  acceptsQueryToken = false,
): Promise<{ viewer: Viewer | null; authError?: string }> {
  if (!authEnabled) return { viewer: LOOPBACK_VIEWER };
  const inUrl = request.url.searchParams.get('token') ?? undefined;
  if (inUrl !== undefined && !acceptsQueryToken) return { viewer: null, authError: QUERY_TOKEN_REFUSED };
  return resolveViewer(database, authEnabled, tokenFrom(request.headers) ?? inUrl);
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

/** Whether errors may carry what helps an administrator and an attacker alike (suggestions, stacks). */
export function isAdmin(viewer: Viewer | null | undefined): boolean {
  return viewer?.role === 'admin';
}

/** The answer to a GraphQL request without a valid token (both POST paths answer it alike): fresh
 * objects each time, since a Response may add to the headers it is given. */
export const unauthenticatedAnswer = (authError: string | undefined) => ({
  status: 401,
  headers: { 'www-authenticate': 'Bearer' } as Record<string, string>,
  body: { errors: [{ message: authError, extensions: { code: 'UNAUTHENTICATED' } }] },
});

const unauthenticated = (message?: string) =>
  new GraphQLError(message ?? 'authentication required', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });

/**
 * Authenticates every GraphQL request before its body is read: with auth on, a request without a
 * valid token is answered 401 at once, so its document is never parsed, validated or cached. (The
 * GraphiQL page is answered by an earlier plugin; /healthz and /metrics never reach yoga.) The
 * resolved viewer rides on the server context (AuthCarrier) into yoga's context factory, which is
 * also how a caller that resolved the viewer itself hands it over (WebSocket, execute.ts). The
 * execute/subscribe checks remain for those paths and as a backstop.
 */
export function useAuth(options: {
  database: Database;
  authEnabled: boolean;
  graphqlEndpoint: string;
}): Plugin<GraphQLContext> {
  const { database, authEnabled, graphqlEndpoint } = options;
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint || request.method === 'OPTIONS') return;
      const req = (serverContext as { req?: IncomingMessage }).req;
      const { viewer, authError } = await authenticateRequest(database, authEnabled, {
        headers: request.headers,
        url,
      });
      (serverContext as AuthCarrier).jobgateAuth = {
        viewer,
        authError,
        client: req?.socket.remoteAddress ?? 'in-process',
      };
      if (viewer) return;
      const { status, headers, body } = unauthenticatedAnswer(authError);
      endResponse(fetchAPI.Response.json(body, { status, headers }));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      if (!ctx.viewer) setResultAndStopExecution({ errors: [unauthenticated(ctx.authError)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      if (!ctx.viewer) setResultAndStopExecution({ errors: [unauthenticated(ctx.authError)] });
    },
  };
}
