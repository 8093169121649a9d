// What a web page in the user's browser may do to a jobgate it can reach (typically `npm start`, auth
// off on 127.0.0.1:4000): nothing. A page can send "simple" cross-origin requests without asking
// (form posts, text/plain fetches, WebSockets, EventSource), and through DNS rebinding it can even
// make its own name point at 127.0.0.1. So, before yoga sees a request:
// - a loopback-bound server answers only to its loopback names (Host check: no DNS rebinding);
// - a request carrying a browser Origin that is neither the server's own nor configured is refused
//   (this covers WebSocket upgrades and EventSource/SSE, which CORS does not protect);
// - POST /graphql carries operations only in JSON bodies (useJsonBodiesOnly), which a page can send
//   cross-origin only after a CORS preflight, and CORS answers only configured origins.
import type { Plugin } from 'graphql-yoga';
import { isLoopback } from '../config.ts';

export interface BrowserGuardOptions {
  /** The address the server listens on. */
  host: string;
  /** Origins (scheme://host[:port]) that browsers may call from; matched exactly. */
  corsOrigins: readonly string[];
}

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export interface BrowserGuard {
  /** Why a request must be refused, or undefined; `port` is the port the server listens on. */
  check(headers: { host?: string; origin?: string }, port: number): Refusal | undefined;
  /** Whether a browser at `origin` may read answers (CORS). */
  isAllowedOrigin(origin: string): boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export function createBrowserGuard(options: BrowserGuardOptions): BrowserGuard {
  const configured = new Set(options.corsOrigins);
  const configuredHosts = new Set(options.corsOrigins.map((origin) => new URL(origin).host));
  const checkHost = isLoopback(options.host);
  const boundName =
    options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;

  const isAllowedHost = (host: string | undefined, port: number): boolean => {
    if (!host) return false;
    if (configuredHosts.has(host)) return true; // a proxy in front, named by a configured origin
    let url: URL;
    try {
      url = new URL(`http://${host}`);
    } catch {
      return false;
    }
    if (url.username || url.password || url.pathname !== '/') return false;
    if (!LOOPBACK_NAMES.has(url.hostname) && url.hostname !== boundName) return false;
    return url.port === (port === 80 ? '' : String(port));
  };

  return {
    isAllowedOrigin: (origin) => configured.has(origin),
    check(headers, port) {
      if (checkHost && !isAllowedHost(headers.host, port)) {
        return {
          status: 421,
          code: 'MISDIRECTED_REQUEST',
          message:
            'this server listens on a loopback address and answers only to its loopback names ' +
            '(127.0.0.1, localhost, [::1] with its port); list another origin with --cors-origin',
        };
      }
      const origin = headers.origin;
      if (origin === undefined || configured.has(origin)) return undefined;
      if (headers.host && (origin === `http://${headers.host}` || origin === `https://${headers.host}`)) {
        return undefined; // the server's own pages (GraphiQL)
      }
      return {
        status: 403,
        code: 'FORBIDDEN_ORIGIN',
        message: 'requests from this browser origin are not allowed; configure it with --cors-origin',
      };
    },
  };
}

/** The media types that may carry an operation in a POST body (GraphQL over HTTP; yoga parses both). */
const JSON_TYPES = ['application/json', 'application/graphql+json'];

export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return JSON_TYPES.includes(type);
}

/**
 * POST bodies must be JSON: form-encoded, multipart and text/plain bodies (what a page can send
 * cross-origin without a preflight) and bodies without a content type are refused with 415 before
 * anything reads them.
 */
export function useJsonBodiesOnly(): Plugin {
  return {
    onRequestParse({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST' || isJsonContentType(request.headers.get('content-type'))) return;
      endResponse(
        fetchAPI.Response.json(
          {
            errors: [
              {
                message:
                  'POST /graphql takes only a JSON body (content-type: application/json); ' +
                  'form, multipart and text bodies are refused',
                extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
              },
            ],
          },
          { status: 415 },
        ),
      );
    },
  };
}
