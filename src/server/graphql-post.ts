// The common GraphQL request answered without yoga's HTTP layer: a POST of a JSON body with a
// Content-Length, asking for one JSON media type, from a client that is not a browser page (no
// Origin). Yoga turns every request into a Fetch Request and every answer into a Fetch Response,
// through a chain of promise helpers; for the contract Run query that layer was ~20% of jobgate's
// CPU per request (BENCHMARKS.md). Here the same envelop (yoga.getEnveloped) runs the same plugins in
// the same order as yoga's processRequest: the document cache, the token, depth, alias, directive
// and cost limits, the admin-only suggestions, the input guard, the mutation rate limit, the role
// checks and error masking; authentication is the one useAuth does, before the body is read.
//
// Only an operation that parses, validates and is a query or a mutation is executed here. Anything
// else (a body that is not a plain `{ query, variables, operationName, extensions }`, a document too
// long, a parse or validation error, a subscription) is handed to yoga with the body already read,
// so every refusal keeps yoga's exact wording and status. The answer is built by yoga's own
// processRegularResult (status from the errors' `extensions.http`, 200 for GraphQL errors under
// application/json, the serializer graphql-jit attached), so both paths answer byte for byte alike.
import { getOperationAST, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/client.ts';
import type { GraphQLContext } from '../graphql/context.ts';
import type { Logger } from '../lib/logger.ts';
import { authenticateRequest, unauthenticatedAnswer, type AuthCarrier, type RequestAuth } from './auth.ts';
import { isJsonContentType } from './browser-guard.ts';
import type { MaskError } from './errors.ts';

export interface GraphQLPostOptions {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  database: Database;
  authEnabled: boolean;
  maskError: MaskError;
  /** Longest document text, in characters (longer ones go to yoga, which refuses them). */
  maxDocumentLength: number;
  logger: Logger;
}

export interface GraphQLPostStats {
  /** Requests answered here (executed, or refused for want of a valid token). */
  direct: number;
  /** Requests taken here, then handed to yoga (a body or document it refuses, a subscription). */
  handedToYoga: number;
}

export interface GraphQLPost {
  /** Whether this request is one the fast path takes (decided from its head alone). */
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  stats(): GraphQLPostStats;
}

/** The media types a GraphQL answer may be given as (GraphQL over HTTP). */
const ANSWER_TYPES = new Set(['application/json', 'application/graphql-response+json']);

/** The one media type an Accept header asks for, when it names exactly one answer type. */
function acceptedType(accept: string | undefined): string | undefined {
  if (!accept || accept.includes(',')) return undefined;
  const type = accept.split(';')[0]!.trim().toLowerCase();
  return ANSWER_TYPES.has(type) ? type : undefined;
}

interface Params {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);

/** The body as GraphQL parameters when it is the ordinary shape, else undefined (yoga decides). */
function paramsOf(body: unknown): Params | undefined {
  if (!isPlainObject(body) || typeof body.query !== 'string') return undefined;
  for (const key in body) if (!PARAM_KEYS.has(key)) return undefined;
  const { variables, operationName, extensions } = body;
  if (variables != null && !isPlainObject(variables)) return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  if (extensions != null && !isPlainObject(extensions)) return undefined;
  return {
    query: body.query,
    variables: variables ?? undefined,
    operationName: operationName ?? undefined,
    extensions: extensions ?? undefined,
  };
}

/** Node's request headers, read the way a Fetch Headers object would be. */
const headerReader = (req: IncomingMessage) => ({
  get(name: string): string | null {
    const value = req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  },
});

/** What processRegularResult builds, kept as it is instead of a Fetch Response. */
interface Answer {
  body: string;
  status: number;
  headers: Record<string, string>;
}

/** The Fetch API processRegularResult is handed: its Response only keeps what it was given. */
const capturingFetchAPI = {
  Response: class {
    readonly answer: Answer;
    constructor(body: string, init: { status?: number; headers?: Record<string, string> }) {
      this.answer = { body, status: init.status ?? 200, headers: init.headers ?? {} };
    }
  },
};

function readBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(length);
    let offset = 0;
    req.on('data', (chunk: Buffer) => {
      // Node's parser stops at the Content-Length; the check keeps the copy inside the buffer.
      offset += chunk.copy(body, offset);
    });
    req.once('end', () => resolve(offset === length ? body : body.subarray(0, offset)));
    req.once('error', reject);
    // A client gone before its body ended: nothing to answer.
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client went away before its request body ended'));
    });
  });
}

export function createGraphQLPost(options: GraphQLPostOptions): GraphQLPost {
  const { yoga, database, authEnabled, maskError, maxDocumentLength, logger } = options;
  const stats: GraphQLPostStats = { direct: 0, handedToYoga: 0 };

  const write = (res: ServerResponse, { body, status, headers }: Answer) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** Yoga answers the request, whose body was read already. */
  const toYoga = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    stats.handedToYoga++;
    const headers = new yoga.fetchAPI.Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (value) for (const item of value) headers.append(name, item);
    }
    const request = new yoga.fetchAPI.Request(`http://localhost${req.url ?? '/graphql'}`, {
      method: 'POST',
      headers,
      body: body.toString('utf8'),
    });
    const response = await yoga.handleRequest(request, { req, res });
    const answer: Answer = { body: await response.text(), status: response.status, headers: {} };
    response.headers.forEach((value, name) => {
      if (name !== 'content-length') answer.headers[name] = value;
    });
    write(res, answer);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, accepted: string) => {
    const auth = await authenticateRequest(database, authEnabled, {
      headers: headerReader(req),
      // accepts() took only /graphql without a query string: there is no ?token= to read.
      url: GRAPHQL_URL,
    });
    if (!auth.viewer) {
      stats.direct++;
      req.resume();
      const { status, headers, body } = unauthenticatedAnswer(auth.authError);
      return write(res, {
        body: JSON.stringify(body),
        status,
        headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
      });
    }
    const body = await readBody(req, Number(req.headers['content-length']));
    let params: Params | undefined;
    try {
      params = paramsOf(JSON.parse(body.toString('utf8')));
    } catch {
      params = undefined;
    }
    if (!params || params.query.length > maxDocumentLength) return toYoga(req, res, body);

    const jobgateAuth: RequestAuth = { ...auth, client: req.socket.remoteAddress ?? 'in-process' };
    const enveloped = yoga.getEnveloped({ req, res, jobgateAuth, params } satisfies AuthCarrier &
      Record<string, unknown>);
    let document;
    try {
      document = enveloped.parse(params.query);
    } catch {
      return toYoga(req, res, body);
    }
    if (enveloped.validate(enveloped.schema, document).length > 0) return toYoga(req, res, body);
    const operation = getOperationAST(document, params.operationName)?.operation;
    if (operation !== 'query' && operation !== 'mutation') return toYoga(req, res, body);

    let result: ExecutionResult;
    try {
      const contextValue = await enveloped.contextFactory();
      result = (await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      } as Parameters<typeof enveloped.execute>[0])) as ExecutionResult;
    } catch (err) {
      // As yoga's handleParams: a thrown error becomes a masked one.
      result = { errors: [maskError(err, 'Unexpected error.') as never] };
    }
    const built = processRegularResult(result, capturingFetchAPI as never, accepted) as unknown as {
      answer: Answer;
    };
    stats.direct++;
    write(res, built.answer);
  };

  return {
    accepts(req) {
      return (
        req.method === 'POST' &&
        req.url === '/graphql' &&
        req.headers.origin === undefined &&
        req.headers['content-length'] !== undefined &&
        req.headers['transfer-encoding'] === undefined &&
        isJsonContentType(req.headers['content-type'] ?? null) &&
        acceptedType(req.headers.accept) !== undefined
      );
    },
    handle(req, res) {
      answer(req, res, acceptedType(req.headers.accept)!).catch((err: unknown) => {
        if (!req.complete || res.destroyed) logger.debug({ err }, 'a GraphQL request was abandoned');
        else logger.error({ err }, 'a GraphQL answer could not be sent');
        res.destroy();
      });
    },
    stats: () => ({ ...stats }),
  };
}

const GRAPHQL_URL = new URL('http://localhost/graphql');
