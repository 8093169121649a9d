// How Zeta's v1 REST (Hazelcast's text protocol) words its answers: JSON as
// `application/json;charset=UTF-8`; a failure is `{"status":"fail","message":...}`, 400 for what Java
// throws as an IllegalArgumentException (bad JSON, a missing jobId, a job id that is no Long) and 500
// for anything else (ENDPOINTS.md §1).
export const SEATUNNEL_CONTENT_TYPE = 'application/json;charset=UTF-8';

/** An expected failure of a SeaTunnel route, answered with its status and Zeta's error body. */
export class SeaTunnelRestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'SeaTunnelRestError';
    this.status = status;
  }
}

/** A 400: Zeta's IllegalArgumentException. */
export const badRequest = (message: string) => new SeaTunnelRestError(400, message);

/** A JSON answer; `raw` is JSON text already written (for ids that must stay JSON numbers). */
export function seatunnelJson(body: unknown, status = 200): Response {
  return seatunnelRaw(JSON.stringify(body), status);
}

export function seatunnelRaw(text: string, status = 200): Response {
  return new Response(text, { status, headers: { 'content-type': SEATUNNEL_CONTENT_TYPE } });
}

/** `{"status":"fail","message":...}` with `status`. */
export function seatunnelFail(status: number, message: string): Response {
  return seatunnelJson({ status: 'fail', message }, status);
}
