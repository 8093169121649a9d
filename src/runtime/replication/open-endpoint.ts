// A replication endpoint from its spec: raw server options (admins), or a named connection (a
// PostgreSQL connection an admin defined). jobgate's own database is never an endpoint.
import type { ResolvedConnection } from '../connections/save-connection.ts';
import type { DatabaseIdentity } from '../connections/database-identity.ts';
import { sameDatabase } from '../connections/database-identity.ts';
import type { DestinationEndpoint, SourceEndpoint } from './endpoint-types.ts';
import { PostgresEndpoint, type PostgresTarget } from './postgres-endpoint.ts';
import { ReplicationSetupError } from './replication-errors.ts';
import type { EndpointSpec } from './replication-spec.ts';

export type Endpoint = SourceEndpoint & DestinationEndpoint;

export interface EndpointAccess {
  resolve(name: string): Promise<ResolvedConnection>;
  ownDatabase: DatabaseIdentity | null;
}

function targetOfConnection(conn: ResolvedConnection, database?: string): PostgresTarget {
  const url = new URL(conn.url.replace(/^jdbc:/, ''));
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    user: conn.username ?? decodeURIComponent(url.username),
    password: conn.password,
    database: database ?? decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

export async function openEndpoint(spec: EndpointSpec, access: EndpointAccess): Promise<Endpoint> {
  if ('connection' in spec) {
    let conn: ResolvedConnection;
    try {
      conn = await access.resolve(spec.connection);
    } catch (err) {
      throw new ReplicationSetupError((err as Error).message, { cause: err });
    }
    return openPostgres(targetOfConnection(conn, spec.database), access);
  }
  if (spec.type === 'mysql') {
    // mysql2 and the binlog reader load only for a MySQL endpoint (tens of modules a start-up
    // would otherwise pay for whether or not any replication reads MySQL).
    const { MysqlEndpoint } = await import('./mysql-endpoint.ts');
    return MysqlEndpoint.open({
      host: spec.host,
      port: spec.port ?? 3306,
      user: spec.user,
      password: spec.password,
    });
  }
  return openPostgres(
    {
      host: spec.host,
      port: spec.port ?? 5432,
      user: spec.user,
      password: spec.password,
      database: spec.database!,
    },
    access,
  );
}

async function openPostgres(target: PostgresTarget, access: EndpointAccess): Promise<PostgresEndpoint> {
  const endpoint = await PostgresEndpoint.open(target);
  if (access.ownDatabase && sameDatabase(await endpoint.identity(), access.ownDatabase)) {
    await endpoint.close();
    throw new ReplicationSetupError('is jobgate’s own database, which a replication may not read or write');
  }
  return endpoint;
}
