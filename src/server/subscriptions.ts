// GraphQL subscriptions over WebSocket (the graphql-transport-ws protocol of graphql-ws) on the
// GraphQL path. (Over SSE they need nothing here: yoga answers `Accept: text/event-stream` itself,
// behind the same HTTP auth as any request.)
//
// A socket meets, in order: the browser guard (Host and Origin) at the upgrade; authentication at
// `connection_init` (a token in its payload, `{ "authorization": "Bearer …" }`, or in the upgrade's
// Authorization header): with auth on, no valid token closes the socket 4403 Forbidden, and no
// `connection_init` within `connectionInitWaitTimeoutMs` closes it 4408. Each operation then goes
// through yoga.getEnveloped, so it gets the context, plugins, limits and error masking an HTTP
// request gets (the document length is checked before parsing, as over HTTP). The server pings
// every socket every `keepAliveMs` (WebSocket ping frames) and drops one whose pong does not come
// back within the next interval, so a vanished client does not hold its subscriptions open.
import { GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Database } from '../db/client.ts';
import type { GraphQLContext } from '../graphql/context.ts';
import type { Logger } from '../lib/logger.ts';
import { QUERY_TOKEN_REFUSED, tokenFrom, type RequestAuth } from './auth.ts';
import type { BrowserGuard } from './browser-guard.ts';
import { boundMessage } from './errors.ts';
import { documentTooLarge } from './limits.ts';
import { attachFrameSink, createFrameSink, frameSinkOf, sendSharedFrames } from './shared-frames.ts';
import { createSocketTokens } from './socket-tokens.ts';
import { createTokenVerifications } from './token-verifications.ts';

/** Timings of the WebSocket transport (AppOptions.subscriptions). */
export interface SubscriptionTimings {
  /** How long a socket may stay open without sending `connection_init` (then it is closed 4408). */
  connectionInitWaitTimeoutMs: number;
  /** How often each socket is pinged; one that misses a pong for as long is dropped. */
  keepAliveMs: number;
  /** On stop, how long sockets get to answer the close before they are cut. */
  closeGraceMs: number;
  /** How often the tokens of open sockets are re-read: a revoked token's sockets are closed 4403
   * within this time. */
  tokenRecheckMs: number;
  /** How long a valid token's verification at `connection_init` is reused for the token's next
   * sockets (token-verifications.ts): a revoked token's sockets are all closed within this plus
   * tokenRecheckMs. */
  tokenVerificationTtlMs: number;
}

export const DEFAULT_SUBSCRIPTION_TIMINGS: SubscriptionTimings = {
  connectionInitWaitTimeoutMs: 5_000,
  // Under the 60 s idle timeout of common proxies (nginx, load balancers), so a quiet subscription
  // is not cut by them, and a dead peer is noticed within ~25 s.
  keepAliveMs: 12_000,
  closeGraceMs: 2_000,
  tokenRecheckMs: 5_000,
  tokenVerificationTtlMs: 2_000,
};

/** Bytes a socket may hold unsent (beyond what the kernel took) while shared frames are written to
 * it directly (shared-frames.ts): ~30 batches of a busy log, so a client's short hiccup is absorbed,
 * while a slow client holds at most this and then takes its frames one write at a time. */
const MAX_DIRECT_BUFFERED_BYTES = 64 * 1024;

/** Default of SubscriptionServerOptions.maxSocketsPerToken. */
export const DEFAULT_MAX_SOCKETS_PER_TOKEN = 1_000;
/** Default of SubscriptionServerOptions.maxSubscriptionsPerSocket: with the socket limit, a token
 * holds at most 100,000 subscriptions on a gateway. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 100;

/**
 * The close code for open sockets when the server stops: 1012 Service Restart rather than 1001
 * Going Away. Both make graphql-ws clients (and browsers) reconnect, but 1012 says what happened:
 * this server is going away for a restart and another one (behind the same address, or another
 * gateway) will serve; the client reconnects and resumes each subscription after its last cursor,
 * and nothing is lost because events are rows, not process memory. 1001 is also what a browser
 * sends when a page is left, so it says less in the server's own logs and in the client's.
 */
export const SERVICE_RESTART = 1012;
const SERVICE_RESTART_REASON = 'the server is stopping: reconnect and resume after your last cursor';

export interface SubscriptionServerOptions {
  server: Server;
  path: string;
  maxPayload: number;
  guard: BrowserGuard;
  /** The port the server listens on (the Host check compares with it). */
  port(): number;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  database: Database;
  authEnabled: boolean;
  maxDocumentLength: number;
  contextFor(auth: RequestAuth): GraphQLContext;
  /** The serialized payload of a result many subscribers share (shared-subscription-results.ts),
   * else undefined. */
  sharedJson(result: ExecutionResult): string | undefined;
  timings: SubscriptionTimings;
  /** Open sockets one token may hold at once; one more is closed 4429 (socket-tokens.ts). */
  maxSocketsPerToken: number;
  /** Subscriptions one socket may run at once; one more is answered with an error. */
  maxSubscriptionsPerSocket: number;
  logger: Logger;
}

export interface SubscriptionServer {
  /** Open sockets. */
  readonly sockets: number;
  /** Closes every socket with 1012 (their subscriptions end and release what they hold), cutting
   * those that do not answer within the grace, and stops accepting new ones. Idempotent. */
  stop(): Promise<void>;
}

/** The enveloped execute/subscribe of yoga, carried to graphql-ws through rootValue (yoga's recipe). */
type EnvelopedRoot = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;

/** What graphql-ws keeps per socket: the request, and who authenticated at `connection_init`. */
interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
  auth?: RequestAuth;
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A GraphQL error with its message bounded (errors.ts), for answers that skip yoga's masking. */
function bounded(error: GraphQLError): GraphQLError {
  if (error.message.length <= 1_000) return error;
  return new GraphQLError(boundMessage(error.message), { nodes: error.nodes, extensions: error.extensions });
}

/** The token of a `connection_init` payload (`authorization: Bearer …`, or `token`), or undefined. */
function tokenFromInit(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') continue;
    if (key.toLowerCase() === 'authorization') return tokenFrom({ get: () => value });
    if (key === 'token') return value;
  }
  return undefined;
}

/** The token in the upgrade request's Authorization header, or undefined. */
function tokenFromUpgrade(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header ? tokenFrom({ get: (name) => (name === 'authorization' ? header : null) }) : undefined;
}

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { yoga, database, authEnabled, timings, logger } = options;
  let stopping: Promise<void> | undefined;
  const tokens = createSocketTokens({
    database,
    maxPerToken: options.maxSocketsPerToken,
    recheckMs: timings.tokenRecheckMs,
    logger,
  });
  const verifications = createTokenVerifications({
    database,
    authEnabled,
    ttlMs: timings.tokenVerificationTtlMs,
    maxEntries: 10_000,
  });
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path,
    maxPayload: options.maxPayload,
    verifyClient: (
      info: { req: IncomingMessage },
      callback: (ok: boolean, code?: number, message?: string) => void,
    ) => {
      // A client reconnecting while this server stops is sent elsewhere at once.
      if (stopping) return callback(false, 503, 'the server is stopping');
      const { host, origin } = info.req.headers;
      const refusal = options.guard.check({ host, origin }, options.port());
      if (refusal) return callback(false, refusal.status, refusal.message);
      // The upgrade's URL never carries the token; one there is refused as on every HTTP surface.
      if (authEnabled && new URL(info.req.url ?? '/', 'http://localhost').searchParams.has('token'))
        return callback(false, 401, QUERY_TOKEN_REFUSED);
      callback(true);
    },
  });
  const wsServer = useServer(
    {
      connectionInitWaitTimeout: timings.connectionInitWaitTimeoutMs,
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const extra = ctx.extra as SocketExtra;
        const token = tokenFromInit(ctx.connectionParams) ?? tokenFromUpgrade(extra.request);
        const auth = await verifications.resolve(token);
        // false: graphql-ws closes the socket 4403 Forbidden.
        if (!auth.viewer) return false;
        // Over the token's socket limit: closed 4429 by admit (graphql-ws's 4403 then does nothing).
        if (auth.viewer.tokenId && !tokens.admit(auth.viewer.tokenId, extra.socket)) return false;
        extra.auth = { ...auth, client: extra.request.socket.remoteAddress ?? 'unknown' };
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const { request: req, auth, socket } = ctx.extra as SocketExtra;
        // Only an acknowledged socket gets here, and onConnect acknowledges only a viewer.
        if (!auth?.viewer) {
          return [new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        // (graphql-ws has registered this one already, so it counts itself.)
        const open = Object.keys(ctx.subscriptions).length;
        if (open > options.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(
              `too many subscriptions on this socket (limit ${options.maxSubscriptionsPerSocket}): ` +
                'complete one first, or open another socket',
              { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
            ),
          ];
        }
        // The same order as over HTTP: who is asking, how long the document is, then parsing.
        if (payload.query.length > options.maxDocumentLength) {
          return [documentTooLarge(payload.query.length, options.maxDocumentLength)];
        }
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({
          req,
          params: payload,
          jobgateAuth: auth,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length) return errors.map(bounded);
        } catch (err) {
          if (err instanceof GraphQLError) return [bounded(err)];
          throw err;
        }
        const rootValue = { execute, subscribe };
        // Shared results of this operation may be written straight to the socket (shared-frames.ts).
        attachFrameSink(rootValue, createFrameSink(socket, id, MAX_DIRECT_BUFFERED_BYTES));
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: { ...options.contextFor(auth), jobgateAuth: auth },
          rootValue,
        };
      },
      // A subscription's shared results go out as one pre-serialized payload (shared-frames.ts).
      onOperation: (ctx, id, _payload, args, result) => {
        if (!isAsyncIterable(result)) {
          frameSinkOf(args.rootValue)?.close();
          return undefined;
        }
        const { socket } = ctx.extra as SocketExtra;
        return sendSharedFrames(result, socket, id, options.sharedJson, frameSinkOf(args.rootValue));
      },
    },
    wss,
    timings.keepAliveMs,
  );

  const closeAll = async () => {
    const open = [...wss.clients];
    const closed = open.map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of open) socket.close(SERVICE_RESTART, SERVICE_RESTART_REASON);
    let grace: NodeJS.Timeout | undefined;
    const cut = new Promise<'cut'>(
      (resolve) => (grace = setTimeout(() => resolve('cut'), timings.closeGraceMs)),
    );
    if ((await Promise.race([Promise.all(closed), cut])) === 'cut') {
      const left = open.filter((socket) => socket.readyState !== socket.CLOSED);
      logger.warn({ sockets: left.length }, 'WebSocket clients did not answer the close; cutting them');
      for (const socket of left) socket.terminate();
      await Promise.all(closed);
    }
    clearTimeout(grace);
  };

  return {
    get sockets() {
      return wss.clients.size;
    },
    stop: () => {
      tokens.stop();
      stopping ??= closeAll().then(() => wsServer.dispose());
      return stopping;
    },
  };
}
