import type { Database } from '../db/client.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Role } from '../lib/status.ts';
import type { EventFeed, FileGuard, LogFeed, MetricFeed } from '../runtime/index.ts';
import { createLoaders, type Loaders } from './loaders.ts';

/** Who is calling: a token's id and role, or the loopback user when auth is off. */
export interface Viewer {
  tokenId: string | null;
  name: string;
  role: Role;
}

/** Settings the GraphQL layer needs from the process configuration. */
export interface GraphQLSettings {
  authEnabled: boolean;
  heartbeatTimeoutMs: number;
  /** Whether shell jobs may be defined and run at all (config `commandsEnabled`). */
  commandsEnabled: boolean;
  /** The file roots job definitions may name paths in (the runtime's guard); none: every path is
   * refused. */
  files?: FileGuard;
  /** The runtime's realtime feed: waits (stop-with-savepoint) and subscriptions read events through it. */
  events: EventFeed;
  /** The runtime's log feed: the `logs` subscription reads through it. */
  logFeed: LogFeed;
  /** The runtime's metric feed: the `metrics` subscription reads through it. */
  metricFeed: MetricFeed;
  /** The worker node this process hosts (embedded mode), if any: `gatewayNode` answers it. */
  nodeId?: string;
}

/** Created fresh for every request (and every subscription), never shared between them. */
export interface GraphQLContext {
  database: Database;
  loaders: Loaders;
  viewer: Viewer | null;
  /** Why authentication failed, when a token was sent but is not valid. */
  authError?: string;
  settings: GraphQLSettings;
  logger: Logger;
  /** Seals secrets before they are stored; never used to open one in the API. */
  secrets: SecretBox;
}

export function createContext(options: {
  database: Database;
  viewer: Viewer | null;
  authError?: string;
  settings: GraphQLSettings;
  logger: Logger;
  secrets: SecretBox;
}): GraphQLContext {
  return { ...options, loaders: createLoaders(options.database) };
}
