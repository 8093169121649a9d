import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, nodes, type NodeRow } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';

/** DRAINING: the node keeps what it runs and takes nothing new; READY again when resumed. */
export async function setNodeDraining(
  database: Database,
  nodeId: string,
  draining: boolean,
  actor: string,
): Promise<NodeRow> {
  const [row] = await database.db
    .update(nodes)
    .set({ status: draining ? 'DRAINING' : 'READY' })
    .where(
      and(
        eq(nodes.id, nodeId),
        isNull(nodes.deregisteredAt),
        inArray(nodes.status, draining ? ['READY', 'DRAINING'] : ['DRAINING', 'READY']),
      ),
    )
    .returning();
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
