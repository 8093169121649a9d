// A pino logger whose lines become the run's log lines, for plugins (the Console sink prints rows
// this way, as SeaTunnel prints them to the job log).
import { pino } from 'pino';
import { SAFE_LOG_OPTIONS, type Logger } from '../../lib/logger.ts';
import type { LogLevel } from '../../lib/status.ts';
import type { LogAppender } from '../logs/log-appender.ts';

const PINO_LEVELS: Record<number, LogLevel> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'ERROR',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'vertex', 'subtaskIndex']);

export function createRunLogLogger(
  logs: LogAppender,
  runId: string,
  vertex: string,
  subtaskIndex: number,
): Logger {
  return pino(
    { level: 'info', base: undefined, ...SAFE_LOG_OPTIONS },
    {
      write(line: string) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.fromEntries(Object.entries(entry).filter(([k]) => !OMIT.has(k)));
        const message = Object.keys(extra).length
          ? `${String(entry.msg ?? '')} ${JSON.stringify(extra)}`
          : String(entry.msg ?? '');
        logs.append(runId, PINO_LEVELS[entry.level as number] ?? 'INFO', message, { vertex, subtaskIndex });
      },
    },
  );
}
