// How Nomad's HTTP agent words its answers (command/agent/http.go wrap()): JSON bodies as
// `application/json` (pretty-printed with ?pretty), errors as plain text
// `text/plain; charset=utf-8` with the HTTP status, and query responses carrying X-Nomad-Index,
// X-Nomad-LastContact and X-Nomad-KnownLeader (setMeta).
import { randomBytes } from 'node:crypto';

export const PLAIN = 'text/plain; charset=utf-8';

/** An expected failure of a Nomad route: its status and the error text as Nomad writes it. */
export class NomadError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'NomadError';
    this.status = status;
  }
}

/** Nomad's fixed messages. */
export const NomadMessage = {
  invalidMethod: 'Invalid method',
  permissionDenied: 'Permission denied',
  tokenNotFound: 'ACL token not found',
  jobNotFound: 'job not found',
  allocNotFound: 'alloc not found',
  nodeNotFound: 'node not found',
  /** Go's http.NotFound for a path no handler takes. */
  pageNotFound: '404 page not found\n',
} as const;

/** What a query answer carries besides its body (setMeta). */
export interface QueryMeta {
  index: number;
}

/** Whether ?pretty asks for indented JSON (any value but "0"). */
function isPretty(url: URL | undefined): boolean {
  if (!url?.searchParams.has('pretty')) return false;
  return url.searchParams.get('pretty') !== '0';
}

/** Marks a bigint while JSON.stringify runs: random per process, so no client's text can forge it. */
const MARK = randomBytes(12).toString('hex');
const BIG = `\u0000${MARK}:`;
const BIG_QUOTED = new RegExp(`"\\\\u0000${MARK}:(-?\\d+)"`, 'g');

/** JSON text in which bigint values (nanosecond times) are written as exact integers. */
export function stringify(body: unknown, indent?: number): string {
  const text = JSON.stringify(
    body,
    (_key, value: unknown) => (typeof value === 'bigint' ? `${BIG}${value}` : value),
    indent,
  );
  return text.replace(BIG_QUOTED, '$1');
}

/** A JSON answer; with `meta`, the blocking-query headers. */
export function nomadJson(body: unknown, url?: URL, meta?: QueryMeta): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (meta) {
    headers['x-nomad-index'] = String(meta.index);
    headers['x-nomad-lastcontact'] = '0';
    headers['x-nomad-knownleader'] = 'true';
  }
  const text = isPretty(url) ? `${stringify(body, 4)}\n` : stringify(body);
  return new Response(text, { status: 200, headers });
}

/** A plain-text error with `status`. */
export function nomadText(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': PLAIN } });
}
