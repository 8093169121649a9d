import { eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, nodes, type NodeRow } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { NodeStatus } from '../../lib/status.ts';
import { transitionNode } from './transition-node.ts';

/** DRAINING: the node keeps what it runs and takes nothing new; READY again when resumed. */
export async function setNodeDraining(
  database: Database,
  nodeId: string,
  draining: boolean,
  actor: string,
): Promise<NodeRow> {
  // Idempotent both ways; a DOWN node is neither drained nor resumed (only its heartbeat revives it).
  const row = await transitionNode(database.db, nodeId, draining ? NodeStatus.DRAINING : NodeStatus.READY, {
    from: [NodeStatus.READY, NodeStatus.DRAINING],
    where: isNull(nodes.deregisteredAt),
  });
  if (!row) {
    const [existing] = await database.db.select().from(nodes).where(eq(nodes.id, nodeId));
    if (!existing) throw new NotFoundError('node', nodeId);
    throw new ConflictError(
      `node ${existing.name} is ${existing.deregisteredAt ? 'deregistered' : existing.status}`,
    );
  }
  await database.db
    .insert(auditEvents)
    .values({ actor, action: draining ? 'node:drain' : 'node:resume', target: nodeId });
  return row;
}
