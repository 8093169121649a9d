// Node's request and response, seen as the Fetch API's Request and Response, for the handlers the
// router calls itself (health, metrics, dialects). Yoga has its own bridge for /graphql.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Reading a request body past the limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The Fetch Request of a Node request. Its body is counted as it streams (a chunked body has no
 * Content-Length to check beforehand) and errors with BodyTooLargeError past `maxBodyBytes`; its
 * signal aborts when the client goes away before the answer is sent.
 */
export function toFetchRequest(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  const method = req.method ?? 'GET';
  let body: ReadableStream<Uint8Array> | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    let bytes = 0;
    body = (Readable.toWeb(req) as ReadableStream<Uint8Array>).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          if (bytes > maxBodyBytes) controller.error(new BodyTooLargeError(maxBodyBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
  }
  // The Host header was checked by the browser guard where that matters (loopback); elsewhere it
  // may be anything, and the URL only needs to parse.
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  } catch {
    url = new URL(req.url ?? '/', 'http://localhost');
  }
  const init = { method, headers, body, duplex: 'half', signal: aborted.signal };
  return new Request(url, init as RequestInit);
}

/** Sends a Fetch Response through a Node response. */
export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (!response.body) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}
