// How Flink's REST server words its answers: JSON as `application/json; charset=UTF-8`, errors as
// `{"errors": ["<stringified Java exception>"]}` with the HTTP status (handler/AbstractHandler).
// Flink sends `Access-Control-Allow-Origin: *` by default; jobgate keeps its CORS policy closed
// unless origins are configured, so the header names only an origin the server allows.
import type { DialectContext } from '../core/index.ts';

export const FLINK_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** The exception classes Flink's handlers throw, as they appear at the start of an error string. */
export const FlinkException = {
  notFound: 'org.apache.flink.runtime.rest.NotFoundException',
  handler: 'org.apache.flink.runtime.rest.handler.RestHandlerException',
} as const;

/** An expected failure of a Flink route: answered with its status and one error string. */
export class FlinkRestError extends Error {
  readonly status: number;
  /** The whole error string, as Flink stringifies the exception (without its stack trace). */
  readonly text: string;

  constructor(status: number, message: string, exceptionClass: string = FlinkException.handler) {
    super(message);
    this.name = 'FlinkRestError';
    this.status = status;
    this.text = `${exceptionClass}: ${message}`;
  }
}

function headers(ctx: DialectContext | undefined, contentType: string): Record<string, string> {
  const all: Record<string, string> = { 'content-type': contentType };
  if (ctx?.corsOrigin) all['access-control-allow-origin'] = ctx.corsOrigin;
  return all;
}

/** A JSON answer in Flink's content type. */
export function flinkJson(body: unknown, ctx?: DialectContext, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: headers(ctx, FLINK_CONTENT_TYPE) });
}

/** A text/plain answer (the log and stdout file routes). */
export function flinkText(body: string, ctx?: DialectContext): Response {
  return new Response(body, { status: 200, headers: headers(ctx, 'text/plain; charset=UTF-8') });
}

/** `{"errors": [...]}` with `status`. */
export function flinkErrors(status: number, errors: readonly string[], ctx?: DialectContext): Response {
  return flinkJson({ errors }, ctx, status);
}

/** A 400 for a path or query parameter that does not parse, worded as HandlerRequest words it. */
export function badParameter(name: string, value: string, kind: 'path' | 'query' = 'path'): FlinkRestError {
  return new FlinkRestError(
    400,
    `Bad request, could not parse parameters: Cannot resolve ${kind} parameter (${name}) from value "${value}".`,
  );
}
