// The only writes of a node's status (besides the heartbeat statements, which revive a node
// declared DOWN in the same statement as the stamp: worker-node.ts, heartbeat-thread-worker.mjs).
// The write checks the state machine (lib/node-status.ts) in its WHERE.
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { nodes, type NodeRow } from '../../db/schema/index.ts';
import { fromSet, NODE_TRANSITIONS, type NodeStatus } from '../../lib/status.ts';

/**
 * Moves node `nodeId` to `to` if it is in a status the machine lets move there (narrowed by
 * `from`, which may name `to` itself to make the write idempotent) and matches `where`. Returns
 * the row as written, or undefined when it was not moved.
 */
export async function transitionNode(
  db: Executor,
  nodeId: string,
  to: NodeStatus,
  options: {
    from?: readonly NodeStatus[];
    where?: SQL;
    patch?: Omit<Partial<typeof nodes.$inferInsert>, 'status' | 'id'>;
  } = {},
): Promise<NodeRow | undefined> {
  const from = fromSet(NODE_TRANSITIONS, to, options.from);
  const [row] = await db
    .update(nodes)
    .set({ ...options.patch, status: to })
    .where(and(eq(nodes.id, nodeId), inArray(nodes.status, [...from]), options.where))
    .returning();
  return row;
}
