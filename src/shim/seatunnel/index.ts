// The SeaTunnel dialect: Zeta's v1 REST API (the Hazelcast member port, 5801) over jobgate's GraphQL
// schema. A SeaTunnel job is the jobgate job `seatunnel-<id>`; its newest run is what Zeta shows.
import type { Dialect, DialectContext, DialectRefusal } from '../core/index.ts';
import { SeaTunnelRestError, seatunnelFail } from './respond.ts';
import { seatunnelRouteTable } from './routes.ts';

const INTERNAL = 'Internal server error.';

async function handle(request: Request, ctx: DialectContext): Promise<Response> {
  try {
    return await seatunnelRouteTable.handle(request, ctx);
  } catch (err) {
    if (!(err instanceof SeaTunnelRestError)) throw err;
    return seatunnelFail(err.status, err.message);
  }
}

/** The server's own refusals (401 without a token, 413, 500) in Zeta's error shape. */
function refuse(refusal: DialectRefusal): Response {
  const response = seatunnelFail(refusal.status, refusal.status >= 500 ? INTERNAL : refusal.message);
  if (refusal.status === 401) response.headers.set('www-authenticate', 'Bearer');
  return response;
}

export const seatunnelDialect: Dialect = {
  name: 'seatunnel',
  defaultPort: 5801,
  handle,
  refuse,
};
