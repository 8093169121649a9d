// Buffers log lines per run and writes them in batches (one statement per run per flush), so a
// chatty command or pipeline costs a few statements a second instead of one per line.
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { LOG_LEVEL_RANK, type LogLevel } from '../../lib/status.ts';
import type { Database } from '../../db/client.ts';
import { appendLogLines, type LogLineInput } from '../sql/append-log-lines.ts';

export interface LogAppender {
  append(
    runId: string,
    level: LogLevel,
    message: string,
    where?: { vertex?: string; subtaskIndex?: number },
  ): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Lines longer than this are cut, with a marker, so one line cannot bloat the table. */
const MAX_MESSAGE = 16_384;

/** A message as PostgreSQL text can hold it: cut to MAX_MESSAGE, NUL (which text cannot contain)
 * shown as U+FFFD, as a terminal would show it. */
function storable(message: string): string {
  const cut = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)} …[truncated]` : message;
  return cut.includes('\0') ? cut.replaceAll('\0', '\uFFFD') : cut;
}

export function createLogAppender(options: {
  database: Database;
  logger: Logger;
  node: { id: string | null; name: string | null };
  flushIntervalMs?: number;
  /** Flush early once this many lines wait. */
  maxBuffered?: number;
}): LogAppender {
  const { database, logger, node } = options;
  const maxBuffered = options.maxBuffered ?? 5_000;
  let buffer = new Map<string, LogLineInput[]>();
  let count = 0;
  let flushing: Promise<void> = Promise.resolve();

  const flushNow = (): Promise<void> => {
    const batch = buffer;
    buffer = new Map();
    count = 0;
    flushing = flushing.then(async () => {
      // Runs are written side by side (each run's lines stay in order: one batch per run per
      // flush, and flushes are chained).
      await Promise.all(
        [...batch].map(async ([runId, lines]) => {
          try {
            await appendLogLines(database, runId, node, lines);
          } catch (err) {
            // The run may have been deleted; its lines have nowhere to go.
            logger.warn({ err: coerceError(err), runId, lines: lines.length }, 'could not write log lines');
          }
        }),
      );
    });
    return flushing;
  };
  const timer = setInterval(() => void flushNow(), options.flushIntervalMs ?? 100);
  timer.unref();

  return {
    append(runId, level, message, where) {
      let lines = buffer.get(runId);
      if (!lines) buffer.set(runId, (lines = []));
      lines.push({
        at: new Date(),
        level: LOG_LEVEL_RANK[level],
        vertex: where?.vertex,
        subtaskIndex: where?.subtaskIndex,
        message: storable(message),
      });
      if (++count >= maxBuffered) void flushNow();
    },
    flush: () => flushNow(),
    close: async () => {
      clearInterval(timer);
      await flushNow();
    },
  };
}
