// A replication whose destination tables are among its source tables would read back what it
// writes and apply it again, forever (and rewrite rows under their writers). Refused before
// anything is copied: at definition and at every start (a server's tables change in between).
import type { DestinationEndpoint, SourceEndpoint, TableDef, TableName } from './endpoint-types.ts';
import { tableKey } from './endpoint-types.ts';
import { ReplicationSetupError } from './replication-errors.ts';
import type { ReplicationSpec } from './replication-spec.ts';
import { renamed } from './table-rules.ts';

/** Refuses when a source table would be written at the destination as one of the source tables. */
export async function refuseOverlap(
  source: SourceEndpoint,
  destination: DestinationEndpoint,
  tables: TableDef[],
  rename: ReplicationSpec['rename'],
): Promise<void> {
  const [from, to] = [await source.scope(), await destination.scope()];
  if (from.server !== to.server || from.database !== to.database) return;
  const read = new Set(tables.map(tableKey));
  const clash = tables.find((t) => read.has(tableKey(renamed(t, rename))));
  if (!clash) return;
  const target: TableName = renamed(clash, rename);
  const into =
    tableKey(target) === tableKey(clash) ? 'into itself' : `into ${tableKey(target)}, also a source table`;
  throw new ReplicationSetupError(
    `the source (${from.label}) and the destination (${to.label}) are the same database: ` +
      `${tableKey(clash)} would be written ${into}, and the replication would loop; ` +
      'pick another destination or rename the tables into another schema',
  );
}
