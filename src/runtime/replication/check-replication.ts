// What can be checked before a replication job is stored (interface point 6): both servers answer,
// neither is jobgate's own database, the source has what a change stream needs, the tables named
// exist with a primary key, and none would be written back into the source's tables. Each refusal
// is a BadInputError naming the field.
import type { Database } from '../../db/client.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Role } from '../../lib/status.ts';
import { readOwnDatabaseIdentity } from '../connections/database-identity.ts';
import { resolveConnection } from '../connections/save-connection.ts';
import type { NormalizedDefinition } from '../definition/job-definition.ts';
import { checkDefinitionRole } from '../definition/secure-definition.ts';
import { refuseOverlap } from './check-overlap.ts';
import type { TableDef } from './endpoint-types.ts';
import { openEndpoint, type Endpoint, type EndpointAccess } from './open-endpoint.ts';
import { ReplicationSetupError } from './replication-errors.ts';
import { replicationSchema, type ReplicationSpec } from './replication-spec.ts';
import { missingTables, selectTables } from './table-rules.ts';

async function opened(
  spec: ReplicationSpec['source'],
  access: EndpointAccess,
  path: string,
): Promise<Endpoint> {
  try {
    return await openEndpoint(spec, access);
  } catch (err) {
    if (err instanceof ReplicationSetupError) throw new BadInputError(`${path}: ${err.message}`, { path });
    throw err;
  }
}

/** The source's tables this replication takes, each described (columns and primary key). */
export async function resolveTables(
  source: Endpoint,
  spec: ReplicationSpec,
  base: string,
): Promise<TableDef[]> {
  const all = await source.listTables();
  const missing = missingTables(all, spec.tables);
  if (missing.length > 0) {
    const path = `${base}.tables[${missing[0]!.index}]`;
    throw new BadInputError(`${path}: no table ${missing[0]!.name} at the source`, { path });
  }
  const defs: TableDef[] = [];
  for (const name of selectTables(all, spec.tables, spec.ignore)) {
    const def = await source.describe(name);
    if (!def) continue; // dropped meanwhile
    if (def.primaryKey.length === 0) {
      const path = `${base}.tables`;
      throw new BadInputError(
        `${path}: the table ${name.schema}.${name.table} has no primary key; jobgate replicates tables with one (add a key or list it in ignore)`,
        { path },
      );
    }
    defs.push(def);
  }
  return defs;
}

export async function checkReplication(
  spec: ReplicationSpec,
  access: EndpointAccess,
  base: string,
): Promise<void> {
  const source = await opened(spec.source, access, `${base}.source`);
  try {
    try {
      await source.checkSettings();
    } catch (err) {
      if (err instanceof ReplicationSetupError)
        throw new BadInputError(`${base}.source: ${err.message}`, { path: `${base}.source` });
      throw err;
    }
    const tables = await resolveTables(source, spec, base);
    const destination = await opened(spec.destination, access, `${base}.destination`);
    try {
      await refuseOverlap(source, destination, tables, spec.rename);
    } catch (err) {
      if (err instanceof ReplicationSetupError)
        throw new BadInputError(`${base}.destination: ${err.message}`, { path: `${base}.destination` });
      throw err;
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

/** The up-front checks of a new REPLICATION definition, as the one storing it (role first: only
 * then does anything connect out). Other kinds pass through. */
export async function checkReplicationDefinition(
  database: Database,
  def: NormalizedDefinition,
  role: Role,
  secrets: SecretBox,
  base: string,
): Promise<void> {
  if (def.kind !== 'REPLICATION') return;
  checkDefinitionRole(def, role, base);
  const spec = replicationSchema.parse(def.document);
  const access: EndpointAccess = {
    resolve: (name) => resolveConnection(database, secrets, name),
    ownDatabase: await readOwnDatabaseIdentity(database),
  };
  await checkReplication(spec, access, `${base}.replication`);
}
