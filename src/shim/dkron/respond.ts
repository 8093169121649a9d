// How Dkron's API (gin) words its answers: JSON bodies (indented with `?pretty`), errors as plain
// text bodies (`Job validation failed: <reason>.`) or a bare status, and `X-Whom: <node>` on every
// answer (API MetaMiddleware). See ref/dkron/ENDPOINTS.md §0.

/** The node name Dkron puts in X-Whom; jobgate answers as one agent. */
export const DKRON_AGENT = 'jobgate';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** An expected failure of a Dkron route: its status and text body ('' answers the status alone). */
export class DkronError extends Error {
  readonly status: number;
  readonly text: string;

  constructor(status: number, text: string) {
    super(text || `status ${status}`);
    this.name = 'DkronError';
    this.status = status;
    this.text = text;
  }
}

/** Job validation failures, worded as Dkron's create handler words them. */
export function validationFailed(reason: string): DkronError {
  return new DkronError(400, `Job validation failed: ${reason}.`);
}

/** A JSON answer; indented when the request has `?pretty`. */
export function dkronJson(
  body: unknown,
  url: URL,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const text = url.searchParams.has('pretty') ? JSON.stringify(body, null, 4) : JSON.stringify(body);
  return new Response(text, {
    status,
    headers: { 'content-type': JSON_TYPE, 'x-whom': DKRON_AGENT, ...headers },
  });
}

/** A plain-text answer (Dkron's error bodies; '' for a bare status). */
export function dkronText(status: number, text: string): Response {
  const headers: Record<string, string> = { 'x-whom': DKRON_AGENT };
  if (text) headers['content-type'] = TEXT_TYPE;
  return new Response(text || null, { status, headers });
}
