// The gateway: one HTTP server for GraphQL (+ GraphiQL), WebSocket subscriptions on the same path,
// health and metrics. buildApp() is kept apart from main so tests run it in-process.
//
// What a request meets, in order, each step before the next costs anything: the browser guard (Host
// and Origin, also for WebSocket upgrades), the body length, authentication (before the body is
// read), JSON-only bodies, the document length (before parsing), the token limit (while parsing),
// the depth/alias/directive/cost limits (first in validation), the mutation rate limit (before
// execution). Only documents that passed all of them enter the parse/validate cache.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Database } from '../db/client.ts';
import { createContext, type GraphQLContext, type GraphQLSettings } from '../graphql/context.ts';
import { useInputGuard } from '../graphql/input-guard.ts';
import { getSchema } from '../graphql/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { resolveViewer, tokenFrom, useAuth, type AuthCarrier, type RequestAuth } from './auth.ts';
import { createBrowserGuard, useJsonBodiesOnly, type Refusal } from './browser-guard.ts';
import { createDocumentCache } from './document-cache.ts';
import { boundMessage, createMaskError, useBoundedValidationErrors } from './errors.ts';
import { useHealth } from './health.ts';
import {
  DEFAULT_QUERY_LIMITS,
  documentTooLarge,
  useDocumentLengthLimit,
  useQueryLimits,
  useSuggestionsForAdminsOnly,
  type QueryLimits,
} from './limits.ts';
import { usePrometheus } from './metrics.ts';
import { useMutationRateLimit } from './rate-limit.ts';

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
}

/** Default of AppOptions.mutationsPerMinute. */
export const DEFAULT_MUTATIONS_PER_MINUTE = 600;

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  server: Server;
  /** Listens; resolves to the base URL (http://host:port). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** A GraphQL error with its message bounded (errors.ts), for answers that skip yoga's masking. */
function bounded(error: GraphQLError): GraphQLError {
  if (error.message.length <= 1_000) return error;
  return new GraphQLError(boundMessage(error.message), { nodes: error.nodes, extensions: error.extensions });
}

/** The enveloped execute/subscribe of yoga, carried to graphql-ws through rootValue (yoga's recipe). */
type EnvelopedRoot = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;

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

function refuse(res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }));
}

export function buildApp(options: AppOptions): App {
  const { database, logger, settings, secrets } = options;
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const guard = createBrowserGuard({ host: options.host, corsOrigins: options.corsOrigins ?? [] });
  const documentCache = createDocumentCache({ maxEntries: 1_000, maxChars: 4_000_000 });
  const contextFor = (auth: Pick<RequestAuth, 'viewer' | 'authError'>): GraphQLContext =>
    createContext({ database, viewer: auth.viewer, authError: auth.authError, settings, logger, secrets });

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    renderGraphiQL,
    graphiql: { title: 'jobgate', subscriptionsProtocol: 'WS' },
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    maskedErrors: { maskError: createMaskError(logger) },
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
      return contextFor(await resolveViewer(database, settings.authEnabled, tokenFrom(request.headers, url)));
    },
    plugins: [
      useChunkedBodyLimit(MAX_BODY_BYTES),
      useHealth(database),
      usePrometheus(database, { documentCache: documentCache.size }),
      useAuth({ database, authEnabled: settings.authEnabled, graphqlEndpoint: '/graphql' }),
      useJsonBodiesOnly(),
      useDocumentLengthLimit(limits.maxDocumentLength),
      documentCache.plugin,
      ...useQueryLimits(limits),
      useSuggestionsForAdminsOnly(),
      useBoundedValidationErrors(),
      useInputGuard(),
      useMutationRateLimit(options.mutationsPerMinute ?? DEFAULT_MUTATIONS_PER_MINUTE),
      // Queries run as code compiled once per document (graphql-jit) instead of being interpreted
      // field by field: the contract Run query resolves ~500 fields, and its CPU per request fell
      // from ~6 to ~3.5 ms with this alone. Mutations and subscriptions keep the reference
      // executor; they are not hot. The compiled code is kept per document object (a WeakMap), so
      // it lives as long as the document does in documentCache.
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

  const listeningPort = () => (server.address() as AddressInfo | null)?.port ?? options.port;
  const server = createServer((req, res) => {
    const refusal = guard.check({ host: req.headers.host, origin: req.headers.origin }, listeningPort());
    if (refusal) return refuse(res, refusal);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) {
      return refuse(res, {
        status: 413,
        code: 'REQUEST_ENTITY_TOO_LARGE',
        message: `request body over ${MAX_BODY_BYTES} bytes`,
      });
    }
    void yoga.handle(req, res);
  });

  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    verifyClient: (
      info: { req: IncomingMessage },
      callback: (ok: boolean, code?: number, message?: string) => void,
    ) => {
      const { host, origin } = info.req.headers;
      const refusal = guard.check({ host, origin }, listeningPort());
      if (refusal) callback(false, refusal.status, refusal.message);
      else callback(true);
    },
  });
  const wsServer = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const req = ctx.extra.request as IncomingMessage;
        const params = ctx.connectionParams as { authorization?: string; token?: string } | undefined;
        const fromParams = params?.authorization?.replace(/^Bearer\s+/i, '') ?? params?.token;
        const headerToken = req.headers.authorization?.replace(/^Bearer\s+/i, '');
        // The same order as over HTTP: who is asking, how long the document is, then parsing.
        const auth = await resolveViewer(database, settings.authEnabled, fromParams ?? headerToken);
        if (!auth.viewer) {
          return [
            new GraphQLError(auth.authError ?? 'authentication required', {
              extensions: { code: 'UNAUTHENTICATED' },
            }),
          ];
        }
        if (payload.query.length > limits.maxDocumentLength) {
          return [documentTooLarge(payload.query.length, limits.maxDocumentLength)];
        }
        const jobgateAuth: RequestAuth = { ...auth, client: req.socket.remoteAddress ?? 'unknown' };
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({
          req,
          params: payload,
          jobgateAuth,
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
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: { ...contextFor(auth), jobgateAuth },
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );
  return {
    yoga,
    server,
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host = options.host.includes(':') ? `[${options.host}]` : options.host;
          resolve(`http://${host}:${port}`);
        });
      }),
    stop: async () => {
      await wsServer.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
