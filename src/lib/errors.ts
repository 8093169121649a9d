/** Named error classes. Expected outcomes carry a `code` that the GraphQL layer exposes as
 * `extensions.code`; anything else is unexpected and masked to clients. */

export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'UNAUTHENTICATED' | 'FORBIDDEN';

export class JobgateError extends Error {
  readonly code: ErrorCode;
  /** Where in the input the problem is, e.g. `input.pipeline.source[0].row.num`. */
  readonly path?: string;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; path?: string; details?: Record<string, unknown> },
  ) {
    super(message, { cause: options?.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options?.path;
    this.details = options?.details;
  }
}

export class BadInputError extends JobgateError {
  constructor(
    message: string,
    options?: { cause?: unknown; path?: string; details?: Record<string, unknown> },
  ) {
    super('BAD_USER_INPUT', message, options);
  }
}

export class NotFoundError extends JobgateError {
  constructor(what: string, id: string) {
    // A client may send a megabyte as an id: quote at most 200 characters of it back.
    const shown = id.length > 200 ? `${id.slice(0, 200)}…` : id;
    super('NOT_FOUND', `${what} ${JSON.stringify(shown)} does not exist`, { details: { what, id: shown } });
  }
}

export class ConflictError extends JobgateError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('CONFLICT', message, options);
  }
}

export class UnauthenticatedError extends JobgateError {
  constructor(message = 'authentication required: send Authorization: Bearer <token>') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends JobgateError {
  constructor(message: string, options?: { path?: string }) {
    super('FORBIDDEN', message, options);
  }
}

/** Configuration that cannot start the process; the message names the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Turns whatever was thrown into an Error, so every catch site can log `err.message` and `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

/** The Postgres SQLSTATE of a driver error (postgres.js and PGlite both expose `code`), if any. */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const PG_UNIQUE_VIOLATION = '23505';
