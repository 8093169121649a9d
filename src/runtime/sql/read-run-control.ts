import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';

export interface RunControlRow {
  id: string;
  status: string;
  stop_requested: string | null;
  node_id: string | null;
  attempt: number;
}

/**
 * What the database says about the assignments a node runs: each one's status, its run's stop
 * request, and the node and attempt that hold it (the fence). Written by hand because every node
 * reads it on every wake-up and every poll (5 times a second at the default 200 ms) while it runs
 * anything: one statement for all of them, the ids passed as one jsonb parameter, so its text is
 * the same whatever the number of assignments.
 */
export async function readRunControl(database: Database, assignmentIds: string[]): Promise<RunControlRow[]> {
  return database.execute<RunControlRow>(sql`
      select a.id, a.status, r.stop_requested, a.node_id, a.attempt from assignments a join runs r on r.id = a.run_id
      where a.id in (select jsonb_array_elements_text(${JSON.stringify(assignmentIds)}::jsonb)::uuid)`);
}
