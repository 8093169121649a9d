// Flink's route table (ENDPOINTS.md, Flink 1.20): each route with the row of the table it answers.
// Every route is served at /v1<path> and at <path> (V1 is Flink's default API version); any other
// prefix, an unknown path and a wrong method answer 404 `Not found: <uri>` (Flink has no 405).
import { createRouteTable, type Miss, type Route } from '../core/index.ts';
import { CANCEL_ROUTES } from './cancel.ts';
import { JAR_ROUTES } from './jars.ts';
import { getOverview } from './overview.ts';
import { flinkErrors } from './respond.ts';
import { SAVEPOINT_ROUTES } from './savepoints.ts';

export const FLINK_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/overview', handler: getOverview, doc: 'row 2: cluster counts' },
  ...JAR_ROUTES,
  ...SAVEPOINT_ROUTES,
  ...CANCEL_ROUTES,
];

/** RouterHandler#respondNotFound: the URI as the client sent it, after the dialect's mount. */
function notFound({ ctx, url }: Miss): Response {
  return flinkErrors(404, [`Not found: ${ctx.path}${url.search}`], ctx);
}

export const flinkRouteTable = createRouteTable(FLINK_ROUTES, { prefixes: ['', '/v1'], notFound });
