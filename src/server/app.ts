// The gateway: one HTTP server for GraphQL (+ GraphiQL), subscriptions on the same path over
// WebSocket (subscriptions.ts) and over SSE (yoga's own, `Accept: text/event-stream`), health and
// metrics, the REST dialects under /compat/<name>/ and on their own ports (router.ts,
// dialect-listeners.ts), and in-process execution for the dialects (execute.ts). buildApp() is kept
// apart from main so tests run it in-process.
//
// What a GraphQL request meets, in order, each step before the next costs anything: the browser
// guard (Host and Origin, also for WebSocket upgrades and SSE), the body length (both in router.ts,
// for every port and path), authentication (before the body is read; for a WebSocket, at
// connection_init, see subscriptions.ts), JSON-only bodies (POST only: an SSE subscription is a GET
// or a JSON POST), the document length (before parsing), the token limit (while parsing), the
// depth/alias/directive/cost limits (first in validation), the mutation rate limit (before
// execution). Only documents that passed all of them enter the parse/validate cache. In-process
// execution (execute.ts) meets the same from the document length on.
//
// stop() (the SIGTERM path) closes WebSocket subscriptions with 1012 Service Restart, so clients
// reconnect (elsewhere) and resume from their last cursor, then every listener; SSE streams end
// with their connections.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../db/client.ts';
import { createContext, type GraphQLContext, type GraphQLSettings } from '../graphql/context.ts';
import { useInputGuard } from '../graphql/input-guard.ts';
import { getSchema } from '../graphql/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Dialect } from '../shim/core/index.ts';
import { DIALECTS } from '../shim/index.ts';
import { authenticateRequest, useAuth, type AuthCarrier, type RequestAuth } from './auth.ts';
import { createBrowserGuard, useJsonBodiesOnly } from './browser-guard.ts';
import { baseUrl, closeServer, createDialectListeners, listen } from './dialect-listeners.ts';
import { createDocumentCache } from './document-cache.ts';
import { createMaskError, useBoundedValidationErrors, useClientErrorLog, yogaLogger } from './errors.ts';
import { createExecute, type Execute } from './execute.ts';
import { createGraphQLPost } from './graphql-post.ts';
import { createHealthHandlers } from './health.ts';
import {
  DEFAULT_QUERY_LIMITS,
  useDocumentLengthLimit,
  useQueryLimits,
  useSuggestionsForAdminsOnly,
  type QueryLimits,
} from './limits.ts';
import { createPrometheus } from './metrics.ts';
import { useMutationRateLimit } from './rate-limit.ts';
import { createRouter } from './router.ts';
import { createSharedSubscriptionResults } from './shared-subscription-results.ts';
import {
  createSubscriptionServer,
  DEFAULT_MAX_SOCKETS_PER_TOKEN,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
  DEFAULT_SUBSCRIPTION_TIMINGS,
  type SubscriptionTimings,
} from './subscriptions.ts';

export interface AppOptions {
  database: Database;
  logger: Logger;
  settings: GraphQLSettings;
  /** Seals connection secrets and secrets in job definitions (the runtime's key). */
  secrets: SecretBox;
  host: string;
  port: number;
  /** Browser origins allowed to call the API (CORS, WebSocket, SSE); none by default. */
  corsOrigins?: readonly string[];
  /** Limits on documents; each unset one keeps its default (DEFAULT_QUERY_LIMITS). */
  limits?: Partial<QueryLimits>;
  /** Mutations a minute per token (per remote address with auth off); 0 turns the limit off. */
  mutationsPerMinute?: number;
  /** The REST dialects to mount (default: every registered one, DIALECTS). */
  dialects?: readonly Dialect[];
  /** Each dialect's own port on `host`, by name (config `dialectPorts`); a dialect not named gets its
   * defaultPort; 0 mounts it only under /compat/<name>/. */
  dialectPorts?: Readonly<Record<string, number>>;
  /** WebSocket timings (init timeout, keep-alive pings, close grace); each unset one keeps its
   * default (DEFAULT_SUBSCRIPTION_TIMINGS). */
  subscriptions?: Partial<SubscriptionTimings>;
  /** Open WebSocket sockets one token may hold at once (default DEFAULT_MAX_SOCKETS_PER_TOKEN). */
  maxSocketsPerToken?: number;
  /** Subscriptions one WebSocket socket may run at once (DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET). */
  maxSubscriptionsPerSocket?: number;
  /** Answer the common POST /graphql without yoga's HTTP layer (graphql-post.ts); on by default. Off,
   * every request goes through yoga (the tests compare both). */
  graphqlPostFastPath?: boolean;
}

/** Default of AppOptions.mutationsPerMinute. */
export const DEFAULT_MUTATIONS_PER_MINUTE = 600;

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  server: Server;
  /** Runs one GraphQL operation in-process for a viewer, through the same plugins as HTTP. */
  execute: Execute;
  /** Listens on the main port (rejects when it cannot) and on each dialect port (a dialect port
   * that cannot be opened is logged and skipped); resolves to the main base URL (http://host:port). */
  start(): Promise<string>;
  /** The base URL of each dialect listening on its own port, by name (after start). */
  dialectUrls(): Record<string, string>;
  /** Closes the WebSocket subscriptions (1012: reconnect elsewhere), then every listener. */
  stop(): Promise<void>;
}

/** Limits on what one request may ask for. */
const MAX_BODY_BYTES = 1_048_576;

/**
 * The body limit for bodies without a Content-Length (chunked), counted as they stream. Yoga's own
 * limit (`maxRequestBodySize`, off below) pipes every body through a TransformStream, which cost
 * ~0.15 ms of CPU per request (a stream pipeline and the AbortController it ends with); a body with a
 * Content-Length was checked against MAX_BODY_BYTES before yoga saw it, and Node's parser reads no
 * more than that, so only chunked bodies need counting.
 */
function useChunkedBodyLimit(limit: number): Plugin {
  const tooLarge = () =>
    createGraphQLError('Request body too large', {
      extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
    });
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (!requestParser || !request.body || request.headers.has('content-length')) return;
      setRequestParser((req) => {
        let bytes = 0;
        // A native body stream wants a native TransformStream (as in yoga's own limit).
        const Transform = req.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
        const limited = req.body!.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength;
              if (bytes > limit) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        const init = {
          method: req.method,
          headers: req.headers,
          signal: req.signal,
          body: limited,
          duplex: 'half',
        };
        return requestParser(new fetchAPI.Request(req.url, init as RequestInit));
      });
    },
  };
}

export function buildApp(options: AppOptions): App {
  const { database, logger, settings, secrets } = options;
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const guard = createBrowserGuard({ host: options.host, corsOrigins: options.corsOrigins ?? [] });
  const documentCache = createDocumentCache({ maxEntries: 1_000, maxChars: 4_000_000 });
  const maskError = createMaskError(logger);
  const sharedResults = createSharedSubscriptionResults();
  const metrics = createPrometheus(database, {
    documentCache: documentCache.size,
    // Read at scrape time, after the subscription server below exists.
    sockets: () => subscriptions.sockets,
    eventFeed: () => settings.events.stats(),
    sharedResults: () => sharedResults.stats(),
    graphqlPost: () => graphqlPost?.stats() ?? { direct: 0, handedToYoga: 0 },
  });
  const contextFor = (auth: Pick<RequestAuth, 'viewer' | 'authError'>): GraphQLContext =>
    createContext({ database, viewer: auth.viewer, authError: auth.authError, settings, logger, secrets });

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The GraphiQL page (~9 MB of inlined JavaScript) loads on the first request for it, not at start.
    renderGraphiQL: async (graphiql) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiql),
    graphiql: { title: 'jobgate', subscriptionsProtocol: 'WS' },
    logging: yogaLogger(logger),
    maskedErrors: { maskError },
    maxRequestBodySize: false,
    // Operations come only as JSON (useJsonBodiesOnly); there are no uploads.
    multipart: false,
    // Replaced by documentCache, which keeps only documents that passed auth and every limit.
    parserAndValidationCache: false,
    // Off unless origins are configured, and then only those, matched exactly (yoga's default would
    // echo any Origin with credentials).
    cors: (request) => {
      const origin = request.headers.get('origin');
      if (!origin || !guard.isAllowedOrigin(origin)) return false;
      return { origin: [origin], credentials: false, methods: ['GET', 'POST'] };
    },
    context: async ({ request, jobgateAuth }: { request: Request } & AuthCarrier) => {
      if (jobgateAuth) return contextFor(jobgateAuth);
      const url = new URL(request.url);
      return contextFor(
        await authenticateRequest(database, settings.authEnabled, { headers: request.headers, url }),
      );
    },
    plugins: [
      useChunkedBodyLimit(MAX_BODY_BYTES),
      metrics.plugin,
      useAuth({ database, authEnabled: settings.authEnabled, graphqlEndpoint: '/graphql' }),
      useJsonBodiesOnly(),
      useDocumentLengthLimit(limits.maxDocumentLength),
      documentCache.plugin,
      ...useQueryLimits(limits),
      useSuggestionsForAdminsOnly(),
      useBoundedValidationErrors(),
      useInputGuard(),
      useClientErrorLog(logger),
      useMutationRateLimit(options.mutationsPerMinute ?? DEFAULT_MUTATIONS_PER_MINUTE),
      // Queries run as code compiled once per document (graphql-jit) instead of being interpreted
      // field by field: the contract Run query resolves ~500 fields, and its CPU per request fell
      // from ~6 to ~3.5 ms with this alone. Mutations and subscriptions keep the reference
      // executor; they are not hot. The compiled code is kept per document object (a WeakMap), so
      // it lives as long as the document does in documentCache.
      // Last, after every onSubscribe that may refuse: results shared by many subscribers are
      // executed once (shared-subscription-results.ts).
      sharedResults.plugin,
      useGraphQlJit(
        {},
        {
          enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query',
          onError: (result) =>
            logger.warn({ errors: result.errors }, 'graphql-jit could not compile a query'),
        },
      ),
    ],
  });

  const graphqlPost =
    options.graphqlPostFastPath === false
      ? undefined
      : createGraphQLPost({
          yoga,
          database,
          authEnabled: settings.authEnabled,
          maskError,
          maxDocumentLength: limits.maxDocumentLength,
          logger,
        });
  const execute = createExecute({ yoga, maskError, maxDocumentLength: limits.maxDocumentLength });
  const dialects = options.dialects ?? DIALECTS;
  const router = createRouter({
    guard,
    maxBodyBytes: MAX_BODY_BYTES,
    yoga,
    graphqlPost,
    health: createHealthHandlers(database),
    metrics: metrics.scrape,
    dialects,
    database,
    authEnabled: settings.authEnabled,
    execute,
    logger,
  });
  // The Host check reads the port on every request; asking the socket (getsockname) each time was
  // ~0.3% of the Run query's CPU, so the port start() listened on is kept.
  let startedPort: number | undefined;
  const listeningPort = () => startedPort ?? (server.address() as AddressInfo | null)?.port ?? options.port;
  const main = { port: listeningPort };
  const server = createServer((req, res) => router.handle(req, res, main));
  const dialectListeners = createDialectListeners({
    dialects,
    ports: options.dialectPorts ?? {},
    host: options.host,
    router,
    logger,
  });

  const subscriptions = createSubscriptionServer({
    server,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    guard,
    port: listeningPort,
    yoga,
    database,
    authEnabled: settings.authEnabled,
    maxDocumentLength: limits.maxDocumentLength,
    contextFor,
    sharedJson: sharedResults.sharedJson,
    maxSocketsPerToken: options.maxSocketsPerToken ?? DEFAULT_MAX_SOCKETS_PER_TOKEN,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    timings: { ...DEFAULT_SUBSCRIPTION_TIMINGS, ...options.subscriptions },
    logger,
  });
  return {
    yoga,
    server,
    execute,
    async start() {
      startedPort = await listen(server, options.port, options.host);
      const url = baseUrl(options.host, startedPort);
      await dialectListeners.start();
      return url;
    },
    dialectUrls: () => dialectListeners.urls(),
    stop: async () => {
      await subscriptions.stop();
      await Promise.all([closeServer(server), dialectListeners.stop()]);
      startedPort = undefined;
    },
  };
}
