// The runtime's front: the only module outside code imports from runtime/.
import type { Database } from '../db/client.ts';
import type { Logger } from '../lib/logger.ts';
import { ensureCluster } from './clusters.ts';
import { registerWorkerNode, type WorkerNodeMembership } from './node/worker-node.ts';

export { ensureCluster } from './clusters.ts';
export { emitEvent, EVENTS_CHANNEL, type RuntimeEvent, type RuntimeEventType } from './events.ts';

export interface RuntimeOptions {
  database: Database;
  logger: Logger;
  cluster: string;
  /** Run a worker node in this process (embedded mode, or `jobgate node`). */
  node?: { name?: string; slots: number; tags: Record<string, string> };
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

export interface Runtime {
  readonly clusterId: string;
  readonly node?: WorkerNodeMembership;
  stop(): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const clusterId = await ensureCluster(options.database, options.cluster);
  const node = options.node
    ? await registerWorkerNode({
        database: options.database,
        logger: options.logger,
        clusterId,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        ...options.node,
      })
    : undefined;
  return {
    clusterId,
    node,
    stop: async () => {
      await node?.stop();
    },
  };
}
