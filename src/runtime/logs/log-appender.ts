// Buffers log lines per run and writes them in batches (a flush of many runs is one statement per
// write lane, see write-lanes.ts), so a chatty command or pipeline costs a few statements a second
// instead of one per line.
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { LOG_LEVEL_RANK, type LogLevel } from '../../lib/status.ts';
import type { Database } from '../../db/client.ts';
import { appendRunsLogLines, type LogLineInput } from '../sql/append-log-lines.ts';
import { createWriteLanes } from './write-lanes.ts';

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
  /** A flush of several runs is written as at most this many statements side by side, each for a
   * share of the runs (see write-lanes.ts). Default 4: with four busy runs, 4 lanes wrote 1.3× as
   * fast as 2 and 1.6–1.9× as fast as one statement per flush (bench/runtime-logs.ts, loaded machine). */
  statementsPerFlush?: number;
}): LogAppender {
  const { database, logger, node } = options;
  const maxBuffered = options.maxBuffered ?? 5_000;
  let buffer = new Map<string, LogLineInput[]>();
  let count = 0;
  const lanes = createWriteLanes(options.statementsPerFlush ?? 4, async (share) => {
    try {
      await appendRunsLogLines(database, node, share);
    } catch (err) {
      // A deleted run takes nothing without failing, so this is the database refusing the batch.
      const lines = share.reduce((n, s) => n + s.lines.length, 0);
      logger.warn({ err: coerceError(err), runs: share.length, lines }, 'could not write log lines');
    }
  });

  const flushNow = (): Promise<void> => {
    const batch = buffer;
    buffer = new Map();
    count = 0;
    return lanes.write(batch);
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
