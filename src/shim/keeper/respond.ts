// How Keeper's akka-http server words its answers: every body, JSON included, is `complete(String)`
// and goes out as text/plain; failures are akka's default rejection and exception texts
// (ref/keeper/ENDPOINTS.md §2, §4).

export const KEEPER_CONTENT_TYPE = 'text/plain; charset=UTF-8';

/** akka's default texts, word for word. */
export const AkkaText = {
  notFound: 'The requested resource could not be found.',
  internal: 'There was an internal server error.',
  missingParameter: (name: string) => `Request is missing required query parameter '${name}'`,
  malformedParameter: (name: string, reason: string) =>
    `The query parameter '${name}' was malformed:\n${reason}`,
  methodNotAllowed: (methods: readonly string[]) =>
    `HTTP method not allowed, supported methods: ${methods.join(', ')}`,
} as const;

/** Keeper's own refusal of a token: HTTP 200 and this body (Router.scala `auth`). */
export const ACCESS_DENIED = 'Access Denied.';

/** An expected failure of a Keeper route, answered as text with its status. */
export class KeeperRestError extends Error {
  readonly status: number;

  constructor(status: number, text: string) {
    super(text);
    this.name = 'KeeperRestError';
    this.status = status;
  }
}

/** A text/plain answer. */
export function keeperText(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': KEEPER_CONTENT_TYPE } });
}

/** JSON, sent as text/plain the way Keeper sends it. */
export function keeperJson(body: unknown): Response {
  return keeperText(JSON.stringify(body));
}
