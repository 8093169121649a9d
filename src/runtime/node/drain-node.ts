import { eq, isNull } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.ts';
import { auditEvents, nodes, type NodeRow } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { NodeStatus } from '../../lib/status.ts';
import { emitEvent } from '../events.ts';
import { transitionNode } from './transition-node.ts';

/**
 * Moves a node between READY and DRAINING (`from` narrows where it may come from) and records
 * `node:draining` / `node:resumed` in the same transaction, only when the status really changed.
 * Returns the row as written, or undefined when it was not moved.
 */
export async function moveNodeDraining(
  database: Database,
  tx: Executor,
  nodeId: string,
  draining: boolean,
  from: readonly NodeStatus[],
): Promise<NodeRow | undefined> {
  const to = draining ? NodeStatus.DRAINING : NodeStatus.READY;
  const row = await transitionNode(tx, nodeId, to, {
    from: from.filter((status) => status !== to),
    where: isNull(nodes.deregisteredAt),
  });
  if (row) {
    await emitEvent(
      database,
      { type: draining ? 'node:draining' : 'node:resumed', nodeId, payload: { name: row.name } },
      tx,
    );
  }
  return row;
}

/** DRAINING: the node keeps what it runs and takes nothing new; READY again when resumed. */
export async function setNodeDraining(
  database: Database,
  nodeId: string,
  draining: boolean,
  actor: string,
): Promise<NodeRow> {
  // Idempotent both ways; a DOWN node is neither drained nor resumed (only its heartbeat revives it).
  const row = await database.db.transaction(async (tx) => {
    const moved = await moveNodeDraining(database, tx, nodeId, draining, [
      NodeStatus.READY,
      NodeStatus.DRAINING,
    ]);
    if (moved) return moved;
    const [existing] = await tx.select().from(nodes).where(eq(nodes.id, nodeId));
    if (!existing) throw new NotFoundError('node', nodeId);
    const wanted = draining ? NodeStatus.DRAINING : NodeStatus.READY;
    if (existing.status === wanted && !existing.deregisteredAt) return existing;
    throw new ConflictError(
      `node ${existing.name} is ${existing.deregisteredAt ? 'deregistered' : existing.status}`,
    );
  });
  await database.db
    .insert(auditEvents)
    .values({ actor, action: draining ? 'node:drain' : 'node:resume', target: nodeId });
  return row;
}
