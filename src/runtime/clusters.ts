import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { clusters } from '../db/schema/index.ts';

/** The cluster's id, creating the cluster if it does not exist yet (safe when processes race). */
export async function ensureCluster(database: Database, name: string): Promise<string> {
  await database.db.insert(clusters).values({ name }).onConflictDoNothing({ target: clusters.name });
  const [row] = await database.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, name));
  if (!row) throw new Error(`cluster ${name} vanished right after it was created`);
  return row.id;
}
