import type { Database } from '../../db/client.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { EventFeed } from '../feed/event-feed.ts';
import type { FileGuard } from '../files/file-guard.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import type { ConnectionAccess } from '../plugins/types.ts';

export interface ExecutorOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  node: { id: string; name: string; slots: number };
  /** Environment for shell commands (never the process's own). */
  commandEnv: Record<string, string>;
  commandsEnabled: boolean;
  pollMs?: number;
  metricsIntervalMs?: number;
  /** Opens sealed plugin options; resolves named connections (see RuntimeOptions.secrets). */
  secrets: SecretBox;
  connections: ConnectionAccess;
  /** The node's file roots, for plugins that take a path. */
  files?: FileGuard;
  /** How long a canceled attempt may take to end before it is abandoned (default 5 s). */
  cancelGraceMs?: number;
  /** Wakes a stop-with-savepoint barrier when its savepoint settles. */
  events: EventFeed;
}

export const DEFAULT_CANCEL_GRACE_MS = 5_000;
export const DEFAULT_METRICS_INTERVAL_MS = 1_000;
