// The gateway: one HTTP server for GraphQL (+ GraphiQL), WebSocket subscriptions on the same path,
// health and metrics. buildApp() is kept apart from main so tests run it in-process.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Database } from '../db/client.ts';
import { createContext, type GraphQLContext, type GraphQLSettings } from '../graphql/context.ts';
import { useInputGuard } from '../graphql/input-guard.ts';
import { getSchema } from '../graphql/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { resolveViewer, tokenFrom, useAuth } from './auth.ts';
import { createMaskError } from './errors.ts';
import { useHealth } from './health.ts';
import { usePrometheus } from './metrics.ts';

export interface AppOptions {
  database: Database;
  logger: Logger;
  settings: GraphQLSettings;
  /** Seals connection secrets and secrets in job definitions (the runtime's key). */
  secrets: SecretBox;
  host: string;
  port: number;
}

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  server: Server;
  /** Listens; resolves to the base URL (http://host:port). */
  start(): Promise<string>;
  stop(): Promise<void>;
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

export function buildApp(options: AppOptions): App {
  const { database, logger, settings, secrets } = options;
  const makeContext = async (token: string | undefined): Promise<GraphQLContext> => {
    const { viewer, authError } = await resolveViewer(database, settings.authEnabled, token);
    return createContext({ database, viewer, authError, settings, logger, secrets });
  };

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
    context: async ({ request, params }) => {
      const extra = (params as { extensions?: { token?: string } } | undefined)?.extensions;
      return makeContext(tokenFrom(request.headers, new URL(request.url)) ?? extra?.token);
    },
    plugins: [
      useChunkedBodyLimit(MAX_BODY_BYTES),
      useHealth(database),
      usePrometheus(database),
      useAuth(),
      useInputGuard(),
      // Queries run as code compiled once per document (graphql-jit) instead of being interpreted
      // field by field: the contract Run query resolves ~500 fields, and its CPU per request fell
      // from ~6 to ~3.5 ms with this alone. Mutations and subscriptions keep the reference
      // executor; they are not hot.
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

  const server = createServer((req, res) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `request body over ${MAX_BODY_BYTES} bytes` }] }));
      return;
    }
    void yoga.handle(req, res);
  });

  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  const wsServer = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const req = ctx.extra.request as IncomingMessage;
        const params = ctx.connectionParams as { authorization?: string; token?: string } | undefined;
        const fromParams = params?.authorization?.replace(/^Bearer\s+/i, '') ?? params?.token;
        const headerToken = req.headers.authorization?.replace(/^Bearer\s+/i, '');
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({ req, params: payload });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await makeContext(fromParams ?? headerToken),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
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
