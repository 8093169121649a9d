import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The one structured logger. Created in bin/, injected everywhere else; secrets are redacted. */
export function createLogger(options: {
  level: LevelWithSilent;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'databaseUrl',
          '*.databaseUrl',
          'password',
        ],
        censor: '[redacted]',
      },
    },
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
