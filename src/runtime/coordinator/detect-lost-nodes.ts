import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { nodeIsSilentSql } from '../../db/node-liveness.ts';
import { assignments, nodes } from '../../db/schema/index.ts';
import { NodeStatus, SLOT_HOLDING_STATUSES, SubtaskStatus } from '../../lib/status.ts';
import type { Logger } from '../../lib/logger.ts';
import { emitEvent } from '../events.ts';
import { transitionNode } from '../node/transition-node.ts';
import { settleAssignment } from '../runs/settle.ts';
import { fenced, type LeaderFence } from './fence.ts';

/** Nodes silent past the heartbeat timeout are DOWN; what they ran fails (and is restarted by the
 * run's restart strategy, where it has one). Each node is declared lost in one fenced transaction
 * (its status, the event and the settling of what it ran), so a stale leader declares nothing and
 * a failure half-way leaves the node to the next tick. */
export async function detectLostNodes(
  database: Database,
  fence: LeaderFence,
  options: {
    heartbeatTimeoutMs: number;
    logger: Logger;
    /** Nodes not judged now: this process's own, which it knows to be alive (see coordinator.ts). */
    spare?: string[];
  },
): Promise<string[]> {
  const silent = and(
    sql`${nodes.clusterId} = ${fence.clusterId}::uuid
      and ${sql.raw(nodeIsSilentSql('nodes', options.heartbeatTimeoutMs))}`,
    options.spare?.length ? notInArray(nodes.id, options.spare) : undefined,
  )!;
  const candidates = await database.db.select({ id: nodes.id }).from(nodes).where(silent);
  const lost: string[] = [];
  for (const candidate of candidates) {
    const declared = await fenced(database, fence, async (tx) => {
      // Checked again under the fence: the node may have heartbeated since the read above.
      const node = await transitionNode(tx, candidate.id, NodeStatus.DOWN, { where: silent });
      if (!node) return null;
      await emitEvent(database, { type: 'node:lost', nodeId: node.id, payload: { name: node.name } }, tx);
      const live = await tx
        .select({ id: assignments.id, status: assignments.status })
        .from(assignments)
        .where(and(eq(assignments.nodeId, node.id), inArray(assignments.status, [...SLOT_HOLDING_STATUSES])));
      for (const a of live) {
        await settleAssignment(
          database,
          a.id,
          a.status === SubtaskStatus.CANCELING
            ? { status: SubtaskStatus.CANCELED, nodeId: node.id }
            : {
                status: SubtaskStatus.FAILED,
                nodeId: node.id,
                failure: {
                  message: `node ${node.name} was lost (no heartbeat for ${options.heartbeatTimeoutMs} ms)`,
                },
              },
          tx,
        );
      }
      return node;
    });
    if (!declared) continue;
    options.logger.warn(
      { nodeId: declared.id, node: declared.name },
      'node lost: no heartbeat within the timeout',
    );
    lost.push(declared.id);
  }
  return lost;
}
