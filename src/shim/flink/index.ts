// The Flink dialect: Flink 1.20's REST API (the JobManager's port, 8081) over jobgate's GraphQL
// schema. Runs are Flink jobs, vertices JobVertices, subtask attempts executions, nodes TaskManagers.
import type { Dialect, DialectContext, DialectRefusal } from '../core/index.ts';
import { jarUploadBodyLimit } from './jars.ts';
import { flinkRouteTable } from './routes.ts';
import { flinkErrors, FlinkRestError } from './respond.ts';

/** Flink's 500 body: a fixed first line; the cause is never shown to clients. */
const INTERNAL = 'Internal server error.';

async function handle(request: Request, ctx: DialectContext): Promise<Response> {
  try {
    return await flinkRouteTable.handle(request, ctx);
  } catch (err) {
    if (!(err instanceof FlinkRestError)) throw err;
    if (err.status === 500) return flinkErrors(500, [INTERNAL], ctx);
    return flinkErrors(err.status, [err.text], ctx);
  }
}

/** The server's own refusals (401 without a token, 413, 500) in Flink's error shape. */
function refuse(refusal: DialectRefusal): Response {
  const message = refusal.status >= 500 ? INTERNAL : refusal.message;
  const headers: Record<string, string> = refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  const response = flinkErrors(refusal.status, [message]);
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const flinkDialect: Dialect = {
  name: 'flink',
  defaultPort: 8081,
  handle,
  refuse,
  maxBodyBytes: jarUploadBodyLimit,
};
