// A dialect's routes as data: each route is {method, path, handler, doc}, the table exports the list
// so a test can walk it, and lookups go through find-my-way (literal segments win over :params, as
// real REST servers order them). Each dialect chooses its own answers for an unknown path and for a
// known path asked with the wrong method (Flink answers 404 for both; others answer 405).
import createRouter, { type HTTPMethod } from 'find-my-way';
import type { DialectContext } from './dialect.ts';

/** What a route handler gets: the request, the server's context and the parsed URL. */
export interface RouteCall {
  request: Request;
  ctx: DialectContext;
  /** Path parameters by name (`:jobid` → params.jobid), percent-decoded. */
  params: Readonly<Record<string, string>>;
  url: URL;
}

export type RouteHandler = (call: RouteCall) => Promise<Response> | Response;

/** One route of a dialect. `path` is find-my-way syntax (`/jobs/:jobid`), without any prefix. */
export interface Route {
  method: HTTPMethod;
  path: string;
  handler: RouteHandler;
  /** What the route answers, in a line (and where the real system documents it). */
  doc?: string;
}

/** What the table needs to answer a request no route takes. */
export interface Miss {
  request: Request;
  ctx: DialectContext;
  url: URL;
}

export interface RouteTableOptions {
  /** Prefixes each route is served under as well as its own path ('' is the path itself); any other
   * prefix misses. Default: ['']. */
  prefixes?: readonly string[];
  /** The answer when no route has this path. */
  notFound(miss: Miss): Response;
  /** The answer when routes have this path but not this method (default: notFound). */
  methodNotAllowed?(miss: Miss, allowed: readonly HTTPMethod[]): Response;
}

export interface RouteTable {
  /** Every route, in the order given (the data a conformance test walks). */
  readonly routes: readonly Route[];
  readonly prefixes: readonly string[];
  /** Finds the route for the request's method and ctx.path and runs it, or answers the miss. */
  handle(request: Request, ctx: DialectContext): Promise<Response>;
}

/** Builds the lookup over `routes`; a duplicate method and path throws at start-up. */
export function createRouteTable(routes: readonly Route[], options: RouteTableOptions): RouteTable {
  const prefixes = options.prefixes ?? [''];
  const router = createRouter({ ignoreTrailingSlash: false, caseSensitive: true });
  const methods = new Set<HTTPMethod>();
  const unused = () => undefined;
  for (const route of routes) {
    methods.add(route.method);
    for (const prefix of prefixes) router.on(route.method, `${prefix}${route.path}`, unused, route);
  }
  const methodNotAllowed = options.methodNotAllowed ?? ((miss: Miss) => options.notFound(miss));

  return {
    routes,
    prefixes,
    async handle(request, ctx) {
      const url = new URL(request.url);
      const method = request.method.toUpperCase() as HTTPMethod;
      const found = methods.has(method) ? router.find(method, ctx.path) : null;
      if (found) {
        const route = found.store as Route;
        const params = found.params as Record<string, string>;
        return route.handler({ request, ctx, params, url });
      }
      const miss = { request, ctx, url };
      const allowed = [...methods].filter((other) => router.find(other, ctx.path) !== null);
      return allowed.length > 0 ? methodNotAllowed(miss, allowed) : options.notFound(miss);
    },
  };
}
