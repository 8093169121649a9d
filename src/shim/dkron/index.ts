// The Dkron dialect: Dkron v4's REST API (port 8080) over jobgate's GraphQL schema. Dkron jobs are
// jobs (shell → a command, http → an http request step), executions are runs, members are nodes.
import type { Dialect, DialectContext, DialectRefusal } from '../core/index.ts';
import { DkronError, dkronText } from './respond.ts';
import { dkronRouteTable } from './routes.ts';

async function handle(request: Request, ctx: DialectContext): Promise<Response> {
  try {
    return await dkronRouteTable.handle(request, ctx);
  } catch (err) {
    if (!(err instanceof DkronError)) throw err;
    return dkronText(err.status, err.text);
  }
}

/** The server's own refusals (401 without a token, 413, 500) as Dkron's plain-text bodies. */
function refuse(refusal: DialectRefusal): Response {
  const response = dkronText(
    refusal.status,
    refusal.status >= 500 ? 'Internal server error' : refusal.message,
  );
  if (refusal.status === 401) response.headers.set('www-authenticate', 'Bearer');
  return response;
}

export const dkronDialect: Dialect = { name: 'dkron', defaultPort: 8080, handle, refuse };
