// Sends the HTTP request of an HTTP vertex (Dkron's http executor) and reads its answer: the status,
// and the body up to a limit (the rest is counted, not kept). A timeout or a cancel aborts the
// request; neither the request's headers nor its body are ever logged here.

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
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
  /** Why no response came (refused, DNS, TLS, ...). */
  error?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export async function runHttp(spec: HttpRequestSpec): Promise<HttpResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const limit = spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeout = new AbortController();
  const timer = spec.timeoutMs ? setTimeout(() => timeout.abort(), spec.timeoutMs) : undefined;
  const signals = [timeout.signal, ...(spec.signal ? [spec.signal] : [])];
  const signal = AbortSignal.any(signals);
  const ended = (partial: Partial<HttpResult>): HttpResult => ({
    status: null,
    body: '',
    bytes: 0,
    truncated: false,
    timedOut: timeout.signal.aborted,
    canceled: Boolean(spec.signal?.aborted) && !timeout.signal.aborted,
    durationMs: elapsed(),
    ...partial,
  });
  try {
    const response = await fetch(spec.url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body === null || spec.method === 'GET' || spec.method === 'HEAD' ? undefined : spec.body,
      signal,
      redirect: 'follow',
    });
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
