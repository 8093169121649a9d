import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { assignments } from '../../db/schema/index.ts';
import type { Logger } from '../../lib/logger.ts';
import { emitEvent } from '../events.ts';
import { settleAssignment } from '../runs/settle.ts';

/** Nodes silent past the heartbeat timeout are DOWN; what they ran fails (and is restarted by the
 * run's restart strategy, where it has one). */
export async function detectLostNodes(
  database: Database,
  options: { clusterId: string; heartbeatTimeoutMs: number; logger: Logger },
): Promise<string[]> {
  const lost = await database.execute<{ id: string; name: string }>(sql`
    update nodes set status = 'DOWN'
    where cluster_id = ${options.clusterId}::uuid and status <> 'DOWN' and deregistered_at is null
      and last_heartbeat_at < now() - ${options.heartbeatTimeoutMs}::int * interval '1 millisecond'
    returning id, name`);
  for (const node of lost) {
    options.logger.warn({ nodeId: node.id, node: node.name }, 'node lost: no heartbeat within the timeout');
    await emitEvent(database, { type: 'node:lost', nodeId: node.id, payload: { name: node.name } });
    const live = await database.db
      .select({ id: assignments.id, status: assignments.status })
      .from(assignments)
      .where(
        and(
          eq(assignments.nodeId, node.id),
          inArray(assignments.status, ['SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING']),
        ),
      );
    for (const a of live) {
      await settleAssignment(
        database,
        a.id,
        a.status === 'CANCELING'
          ? { status: 'CANCELED', nodeId: node.id }
          : {
              status: 'FAILED',
              nodeId: node.id,
              failure: {
                message: `node ${node.name} was lost (no heartbeat for ${options.heartbeatTimeoutMs} ms)`,
              },
            },
      );
    }
  }
  return lost.map((n) => n.id);
}
