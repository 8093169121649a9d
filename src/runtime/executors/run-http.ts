// Sends the HTTP request of an HTTP vertex (Dkron's http executor) and reads its answer: the status,
// and the body up to a limit (the rest is counted, not kept). Every request has a timeout (a server
// that accepts the connection and never answers would otherwise hold the subtask's slot for good),
// and a cancel aborts it too; neither the request's headers nor its body are ever logged here.

export interface HttpRequestSpec {
  method: string;
  url: string;
  /** The job's headers. Every value is sealed at rest (any may hold a secret), so on a redirect to
   * another origin they are not sent on (see followRedirect). */
  headers: Record<string, string>;
  body: string | null;
  /** The whole request, body read included; default {@link DEFAULT_HTTP_TIMEOUT_MS}, at most
   * {@link MAX_HTTP_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborting cancels the request. */
  signal?: AbortSignal;
  /** Bytes of the response body kept (default 256 KiB). */
  maxBodyBytes?: number;
}

export interface HttpResult {
  /** The response status, or null when no response came. */
  status: number | null;
  /** The body as text, cut at maxBodyBytes. */
  body: string;
  /** Bytes of body received in all. */
  bytes: number;
  truncated: boolean;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
  /** The timeout the request had (the spec's, or the default, capped). */
  timeoutMs: number;
  /** host[:port] of the last request sent (the URL's, or a redirect's): whom a timeout waited for. */
  host: string;
  /** Set when a redirect led to another origin: its host[:port], where the job's headers were not sent. */
  headersDroppedFor?: string;
  /** Why no response came (refused, DNS, TLS, too many redirects, ...). */
  error?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** A job may wait longer for a slow endpoint, not for ever: an hour holds a slot long enough. */
export const MAX_HTTP_TIMEOUT_MS = 3_600_000;
/** As fetch and curl. */
const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers still sent after a redirect to another origin: they describe the request's format, not
 * who sends it. Every other header of a job (Authorization, Cookie, an API key) stays behind. */
const FORMAT_HEADERS = new Set(['accept', 'content-type']);
/** What a body-less request no longer says about the body it lost (a 303, or a POST's 301/302). */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language']);

/** The timeout of a request whose job asked for `timeoutSeconds` (none: the default). */
export function httpTimeoutMs(timeoutSeconds: number | null | undefined): number {
  const asked = timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds * 1000 : DEFAULT_HTTP_TIMEOUT_MS;
  return Math.min(asked, MAX_HTTP_TIMEOUT_MS);
}

interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const withoutHeaders = (headers: Record<string, string>, drop: (name: string) => boolean) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !drop(name.toLowerCase())));

/**
 * The request a redirect leads to, as fetch's "follow" builds it (a 303, or a POST's 301/302,
 * becomes a body-less GET), except for the headers: fetch drops only Authorization, Cookie and
 * Proxy-Authorization on a change of origin, and would hand the job's other headers (an API key, a
 * sealed token) to whatever host the redirect names. Here all of them stay behind once the chain
 * leaves the job's own origin, and stay dropped if it comes back.
 */
function followRedirect(hop: Hop, status: number, location: URL, origin: string): Hop {
  const toGet = (status === 303 && hop.method !== 'HEAD') || (status <= 302 && hop.method === 'POST');
  let headers = toGet ? withoutHeaders(hop.headers, (name) => BODY_HEADERS.has(name)) : hop.headers;
  if (location.origin !== origin) headers = withoutHeaders(headers, (name) => !FORMAT_HEADERS.has(name));
  return {
    url: location,
    method: toGet ? 'GET' : hop.method,
    headers,
    body: toGet ? undefined : hop.body,
  };
}

export async function runHttp(spec: HttpRequestSpec): Promise<HttpResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const limit = spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = Math.min(spec.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS, MAX_HTTP_TIMEOUT_MS);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signals = [timeout.signal, ...(spec.signal ? [spec.signal] : [])];
  const signal = AbortSignal.any(signals);
  const origin = new URL(spec.url).origin;
  let hop: Hop = {
    url: new URL(spec.url),
    method: spec.method,
    headers: spec.headers,
    body: spec.body === null || spec.method === 'GET' || spec.method === 'HEAD' ? undefined : spec.body,
  };
  let headersDroppedFor: string | undefined;
  const ended = (partial: Partial<HttpResult>): HttpResult => ({
    status: null,
    body: '',
    bytes: 0,
    truncated: false,
    timedOut: timeout.signal.aborted,
    canceled: Boolean(spec.signal?.aborted) && !timeout.signal.aborted,
    durationMs: elapsed(),
    timeoutMs,
    host: hop.url.host,
    ...(headersDroppedFor ? { headersDroppedFor } : {}),
    ...partial,
  });
  try {
    let response: Response;
    for (let redirects = 0; ; redirects++) {
      const { url, method, headers, body } = hop;
      response = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
      if (location === null) break;
      await response.body?.cancel();
      if (redirects === MAX_REDIRECTS) return ended({ error: `more than ${MAX_REDIRECTS} redirects` });
      const next = new URL(location, hop.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        return ended({ error: `redirected to a ${next.protocol} URL` });
      const kept = Object.keys(hop.headers).length;
      hop = followRedirect(hop, response.status, next, origin);
      if (Object.keys(hop.headers).length < kept && next.origin !== origin) headersDroppedFor ??= next.host;
    }
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    const reader = response.body?.getReader();
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      bytes += next.value.byteLength;
      if (kept < limit) {
        const part = Buffer.from(next.value).subarray(0, limit - kept);
        chunks.push(part);
        kept += part.byteLength;
      }
    }
    return ended({
      status: response.status,
      body: Buffer.concat(chunks).toString('utf8'),
      bytes,
      truncated: bytes > kept,
    });
  } catch (err) {
    if (signal.aborted) return ended({});
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return ended({ error: cause?.code ?? cause?.message ?? (err as Error).message });
  } finally {
    clearTimeout(timer);
  }
}
