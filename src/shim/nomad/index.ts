// The Nomad dialect: Nomad's HTTP API (port 4646) as dtle users drive it, over jobgate's GraphQL
// schema. A dtle job (src and dest tasks on the dtle driver) is a REPLICATION job; its runs are the
// job's evaluations and allocations, jobgate's worker nodes are Nomad clients with the dtle driver.
import type { Dialect, DialectContext, DialectRefusal } from '../core/index.ts';
import { NomadError, NomadMessage, nomadText } from './respond.ts';
import { nomadRouteTable } from './routes.ts';

async function handle(request: Request, ctx: DialectContext): Promise<Response> {
  try {
    return await nomadRouteTable.handle(request, ctx);
  } catch (err) {
    if (!(err instanceof NomadError)) throw err;
    return nomadText(err.status, err.message);
  }
}

/** The server's own refusals as Nomad words them: no token is `Permission denied` (the anonymous
 * policy allows nothing), an unknown or revoked one `ACL token not found`, both 403; a body past the
 * limit 413; anything else 500 with a fixed text. */
function refuse(refusal: DialectRefusal): Response {
  if (refusal.status === 401) {
    const unknown = /not valid/.test(refusal.message);
    return nomadText(403, unknown ? NomadMessage.tokenNotFound : NomadMessage.permissionDenied);
  }
  if (refusal.status >= 500) return nomadText(500, 'Unexpected error.');
  return nomadText(refusal.status, refusal.message);
}

export const nomadDialect: Dialect = { name: 'nomad', defaultPort: 4646, handle, refuse };
