import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { sqlLiteral, SubtaskStatus } from '../../lib/status.ts';

const SCHEDULED = sql.raw(sqlLiteral(SubtaskStatus.SCHEDULED));
const DEPLOYING = sql.raw(sqlLiteral(SubtaskStatus.DEPLOYING));

export interface ClaimedAssignment {
  id: string;
  run_id: string;
  name: string;
  index: number;
  attempt: number;
}

/**
 * A node takes the assignments the coordinator placed on it. SKIP LOCKED lets a node's loops (and a
 * coordinator looking at the same rows) never wait on each other; the claim and the status change
 * are one statement, so an assignment is claimed once. The one status write outside
 * runs/transition-assignments.ts: SCHEDULED → DEPLOYING, the transition lib/subtask-status.ts allows.
 */
export async function claimAssignments(
  database: Database,
  nodeId: string,
  limit: number,
): Promise<ClaimedAssignment[]> {
  if (limit <= 0) return [];
  return database.execute<ClaimedAssignment>(sql`
    with claimed as (
      select id from assignments
      where node_id = ${nodeId}::uuid and status = ${SCHEDULED}
      order by created_at
      for update skip locked
      limit ${limit}::int
    )
    update assignments a set status = ${DEPLOYING}, started_at = now()
    from claimed where a.id = claimed.id
    returning a.id, a.run_id, a.name, a.index, a.attempt`);
}
