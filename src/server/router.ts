// Where an HTTP request goes. On the main port: /graphql to yoga (its common POST to graphql-post.ts), /healthz /readyz /metrics to their
// handlers, /compat/<dialect>/... to that dialect, anything else to yoga (which answers 404). On a
// dialect's own port every path goes to that dialect. Every request of every port first meets the
// browser guard (Host and Origin, with the port it arrived on) and the body length check.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/client.ts';
import type { Logger } from '../lib/logger.ts';
import type { Dialect, DialectContext } from '../shim/core/index.ts';
import { authenticateRequest } from './auth.ts';
import type { BrowserGuard, Refusal } from './browser-guard.ts';
import type { Execute } from './execute.ts';
import type { GraphQLPost } from './graphql-post.ts';
import { BodyTooLargeError, sendFetchResponse, toFetchRequest } from './fetch-bridge.ts';
import type { HealthHandlers } from './health.ts';

/** One listening server as the router sees it. */
export interface Surface {
  /** The port it listens on (the Host check compares with it). */
  port(): number;
  /** Set on a dialect's own port: every path there is that dialect's. */
  dialect?: Dialect;
}

export interface RouterOptions {
  guard: BrowserGuard;
  /** Longest request body, in bytes (by Content-Length up front, else counted as it streams). */
  maxBodyBytes: number;
  yoga: { handle(req: IncomingMessage, res: ServerResponse): unknown };
  /** The common POST /graphql answered without yoga's HTTP layer (graphql-post.ts); off when unset. */
  graphqlPost?: GraphQLPost;
  health: HealthHandlers;
  /** The answer to GET /metrics. */
  metrics(): Promise<Response>;
  dialects: readonly Dialect[];
  /** Dialect routes authenticate like /graphql does: the same tokens, the same switch. */
  database: Database;
  authEnabled: boolean;
  execute: Execute;
  logger: Logger;
}

/** A request's dialect and the path inside it. */
interface DialectTarget {
  dialect: Dialect;
  path: string;
}

export interface Router {
  handle(req: IncomingMessage, res: ServerResponse, surface: Surface): void;
}

const COMPAT = '/compat';

/** A refusal as the GraphQL endpoint words its own: `{ errors: [{ message, extensions: { code } }] }`. */
function refusalResponse(refusal: Refusal, dialect?: Dialect): Response {
  if (dialect?.refuse) return dialect.refuse(refusal);
  const headers: Record<string, string> = refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return Response.json(
    { errors: [{ message: refusal.message, extensions: { code: refusal.code } }] },
    { status: refusal.status, headers },
  );
}

export function createRouter(options: RouterOptions): Router {
  const { guard, maxBodyBytes, yoga, health, dialects, logger } = options;
  const byName = new Map(dialects.map((dialect) => [dialect.name, dialect]));

  const send = (res: ServerResponse, response: Response | Promise<Response>) =>
    Promise.resolve(response)
      .then((answer) => sendFetchResponse(res, answer))
      .catch((err: unknown) => {
        logger.error({ err }, 'an HTTP answer could not be sent');
        res.destroy();
      });

  /** Refused before the body is read: the connection closes rather than read what was not wanted. */
  const refuse = (res: ServerResponse, refusal: Refusal, dialect?: Dialect) => {
    res.setHeader('connection', 'close');
    void send(res, refusalResponse(refusal, dialect));
  };

  /** The Origin a dialect may name in its CORS answer: only one the browser guard allows. */
  const allowedOrigin = (origin: string | undefined) =>
    origin !== undefined && guard.isAllowedOrigin(origin) ? origin : undefined;

  /** The body limit of a request: the server's, or more where its dialect route asks for more. */
  const bodyLimit = (req: IncomingMessage, target: DialectTarget | undefined): number => {
    const wanted = target?.dialect.maxBodyBytes?.(req.method ?? 'GET', target.path);
    return wanted !== undefined && wanted > maxBodyBytes ? wanted : maxBodyBytes;
  };

  const checkRequest = (req: IncomingMessage, surface: Surface, limit: number): Refusal | undefined => {
    const refusal = guard.check({ host: req.headers.host, origin: req.headers.origin }, surface.port());
    if (refusal) return refusal;
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > limit) {
      return {
        status: 413,
        code: 'REQUEST_ENTITY_TOO_LARGE',
        message: `request body over ${limit} bytes`,
      };
    }
    return undefined;
  };

  /** The dialect a request goes to and its path there: the port's own, or /compat/<name>/<rest>. */
  const dialectTarget = (surface: Surface, path: string): DialectTarget | undefined => {
    if (surface.dialect) return { dialect: surface.dialect, path };
    if (!path.startsWith(`${COMPAT}/`)) return undefined;
    const rest = path.slice(COMPAT.length + 1);
    const slash = rest.indexOf('/');
    const dialect = byName.get(slash < 0 ? rest : rest.slice(0, slash));
    return dialect ? { dialect, path: slash < 0 ? '/' : rest.slice(slash) } : undefined;
  };

  const serveDialect = async (
    { dialect, path }: DialectTarget,
    limit: number,
    req: IncomingMessage,
    res: ServerResponse,
  ) => {
    const request = toFetchRequest(req, res, limit);
    try {
      const auth = await authenticateRequest(
        options.database,
        options.authEnabled,
        { headers: request.headers, url: new URL(request.url) },
        dialect.acceptsQueryToken,
      );
      const viewer = auth.viewer;
      if (!viewer) {
        const message = auth.authError ?? 'authentication required';
        return refuse(res, { status: 401, code: 'UNAUTHENTICATED', message }, dialect);
      }
      const client = req.socket.remoteAddress ?? 'in-process';
      const ctx: DialectContext = {
        path,
        viewer,
        execute: (operation) => options.execute({ ...operation, viewer, client, signal: request.signal }),
        corsOrigin: allowedOrigin(req.headers.origin),
      };
      await sendFetchResponse(res, await dialect.handle(request, ctx));
    } catch (err) {
      if (res.headersSent || request.signal.aborted) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLargeError || (err as Error).cause instanceof BodyTooLargeError) {
        const message = `request body over ${limit} bytes`;
        return refuse(res, { status: 413, code: 'REQUEST_ENTITY_TOO_LARGE', message }, dialect);
      }
      logger.error({ err, dialect: dialect.name, path }, 'a dialect route failed');
      await send(
        res,
        refusalResponse(
          { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' },
          dialect,
        ),
      );
    }
  };

  /** /compat/<name>/... naming no dialect: a 404 that names the unknown one. */
  const serveUnknownCompat = (path: string, res: ServerResponse) => {
    const rest = path.slice(COMPAT.length + 1);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const known = dialects.length ? dialects.map((d) => d.name).join(', ') : 'none';
    const message = name
      ? `unknown dialect ${JSON.stringify(name)}: nothing is mounted at ${COMPAT}/${name}/ (dialects: ${known})`
      : `name a dialect: ${COMPAT}/<dialect>/... (dialects: ${known})`;
    void send(res, refusalResponse({ status: 404, code: 'NOT_FOUND', message }));
  };

  return {
    handle(req, res, surface) {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      const target = dialectTarget(surface, path);
      const limit = bodyLimit(req, target);
      const refusal = checkRequest(req, surface, limit);
      if (refusal) return refuse(res, refusal, target?.dialect ?? surface.dialect);
      if (target) return void serveDialect(target, limit, req, res);
      switch (path) {
        case '/graphql':
          if (options.graphqlPost?.accepts(req)) return options.graphqlPost.handle(req, res);
          return void yoga.handle(req, res);
        case '/healthz':
          return void send(res, health.healthz());
        case '/readyz':
          return void send(res, health.readyz());
        case '/metrics':
          return void send(res, options.metrics());
      }
      if (path === COMPAT || path.startsWith(`${COMPAT}/`)) return serveUnknownCompat(path, res);
      void yoga.handle(req, res);
    },
  };
}
