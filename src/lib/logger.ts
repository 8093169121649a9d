import { pino, type Logger, type LevelWithSilent, type LoggerOptions } from 'pino';
import { boundLogValue, serializeError, truncate } from './log-safety.ts';

export type { Logger };

const WARN = 40;

/**
 * The options every jobgate logger shares (the process logger and the run-log loggers): secrets
 * redacted by key, errors serialized without statement parameters, and warn/error lines bounded in
 * size (strings cut at a few KB, lists and objects at 50 entries), so a failed request or statement
 * never puts its data, or megabytes of it, into a log line.
 */
export const SAFE_LOG_OPTIONS = {
  redact: {
    paths: [
      'token',
      '*.token',
      'authorization',
      '*.authorization',
      'databaseUrl',
      '*.databaseUrl',
      'password',
      '*.password',
      'secret',
      '*.secret',
      'secretKey',
      '*.secretKey',
    ],
    censor: '[redacted]',
  },
  serializers: { err: serializeError, error: serializeError },
  hooks: {
    logMethod(args, method, level) {
      if (level < WARN) return method.apply(this, args);
      const bounded = args.map((arg) => (typeof arg === 'string' ? truncate(arg) : boundLogValue(arg)));
      return method.apply(this, bounded as Parameters<typeof method>);
    },
  },
} satisfies LoggerOptions;

/** The one structured logger. Created in bin/, injected everywhere else; secrets are redacted. */
export function createLogger(options: {
  level: LevelWithSilent;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    { level: options.level, base: { pid: process.pid }, ...SAFE_LOG_OPTIONS },
    options.destination ?? process.stdout,
  );
}

/** Masks the password of a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
