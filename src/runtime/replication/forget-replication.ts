// deleteJob forgets a replication (interface point 4): its position at the destination, and at a
// PostgreSQL source its slot and publication (a slot left behind keeps WAL forever). Best effort:
// a server out of reach does not keep a job from being deleted; a slot still in use by a run that
// is stopping is dropped by that run when it ends (it sees the job deleted).
import type { Database } from '../../db/client.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { readOwnDatabaseIdentity } from '../connections/database-identity.ts';
import { resolveConnection } from '../connections/save-connection.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import { openEndpoint, type EndpointAccess } from './open-endpoint.ts';
import { replicationSchema, type ReplicationSpec } from './replication-spec.ts';

export async function forgetReplication(
  jobId: string,
  spec: ReplicationSpec,
  access: EndpointAccess,
): Promise<void> {
  for (const side of [spec.source, spec.destination]) {
    try {
      const endpoint = await openEndpoint(side, access);
      try {
        await endpoint.forget(jobId);
      } finally {
        await endpoint.close();
      }
    } catch {
      // Out of reach: nothing more to do from here.
    }
  }
}

export async function forgetDeletedReplication(
  database: Database,
  secrets: SecretBox,
  jobId: string,
  definition: Record<string, unknown>,
): Promise<void> {
  const parsed = replicationSchema.safeParse(revealSecrets(definition, secrets));
  if (!parsed.success) return;
  await forgetReplication(jobId, parsed.data, {
    resolve: (name) => resolveConnection(database, secrets, name),
    ownDatabase: await readOwnDatabaseIdentity(database),
  });
}
