// The Qross Keeper dialect: Keeper's REST interface (port 7700) over jobgate's GraphQL schema. A
// Keeper job is a jobgate job (Job.number), a task a run (Run.number), an action one step of the
// run's steps DAG (ids.ts). Answers are text/plain, failures akka-http's default texts.
import type { Dialect, DialectContext, DialectRefusal } from '../core/index.ts';
import { ACCESS_DENIED, AkkaText, KeeperRestError, keeperText } from './respond.ts';
import { keeperRouteTable } from './routes.ts';

async function handle(request: Request, ctx: DialectContext): Promise<Response> {
  try {
    return await keeperRouteTable.handle(request, ctx);
  } catch (err) {
    if (!(err instanceof KeeperRestError)) throw err;
    return keeperText(err.message, err.status);
  }
}

/**
 * The server's refusals as Keeper words them. Without a token Keeper's route is rejected for the
 * missing `token` parameter (404); with a wrong one Keeper answers 200 `Access Denied.`. The server
 * says which by its message: a missing token's starts "authentication required" (server/auth.ts).
 */
function refuse(refusal: DialectRefusal): Response {
  if (refusal.status === 401) {
    return refusal.message.startsWith('authentication required')
      ? keeperText(AkkaText.missingParameter('token'), 404)
      : keeperText(ACCESS_DENIED);
  }
  if (refusal.status === 413) return keeperText('The request content was too large.', 413);
  if (refusal.status >= 500) return keeperText(AkkaText.internal, 500);
  return keeperText(refusal.message, refusal.status);
}

export const keeperDialect: Dialect = {
  name: 'keeper',
  defaultPort: 7700,
  // Keeper reads its token from the query string only (ref/keeper/ENDPOINTS.md §1).
  acceptsQueryToken: true,
  handle,
  refuse,
};
