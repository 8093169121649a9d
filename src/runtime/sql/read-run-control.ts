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
 * request, and the node and attempt that hold it (the fence). Written by hand because it is a hot
 * path: every node reads it on every wake-up and every poll (5 times a second at the default
 * 200 ms) while it runs anything, so it is one statement for all of them, the ids passed as one
 * jsonb parameter so its text is the same whatever their number. Measured with 8 assignments on a
 * busy 2-core machine: 4.7 ms a call on PGlite (which runs one statement at a time for the whole
 * process, so about 2% of it per node), 2.9 ms on PostgreSQL.
 */
export async function readRunControl(database: Database, assignmentIds: string[]): Promise<RunControlRow[]> {
  return database.execute<RunControlRow>(sql`
      select a.id, a.status, r.stop_requested, a.node_id, a.attempt from assignments a join runs r on r.id = a.run_id
      where a.id in (select jsonb_array_elements_text(${JSON.stringify(assignmentIds)}::jsonb)::uuid)`);
}
