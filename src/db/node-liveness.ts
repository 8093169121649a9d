// "A node is live", said once, on the database clock: the heartbeat's age is `now()` minus the
// stamp the database wrote (heartbeats stamp `now()` too), so no process's clock or event-loop lag
// takes part. Placement, lost-node detection, the overview and the GraphQL node status all use it.
import { isIn, sqlLiteral, UP_NODE_STATUSES, type NodeStatus } from '../lib/status.ts';
import type { NodeRow } from './schema/index.ts';

function ms(timeoutMs: number): string {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0)
    throw new Error(`heartbeat timeout ${timeoutMs} is not a whole number of milliseconds`);
  return `${timeoutMs}::int * interval '1 millisecond'`;
}

/** SQL: the last heartbeat of nodes row `alias` is within the timeout. */
function heartbeatFreshSql(alias: string, heartbeatTimeoutMs: number): string {
  return `${alias}.last_heartbeat_at > now() - ${ms(heartbeatTimeoutMs)}`;
}

/** SQL: registered and up by status (READY or DRAINING). */
function upSql(alias: string): string {
  return `${alias}.deregistered_at is null and ${alias}.status in ${sqlLiteral(UP_NODE_STATUSES)}`;
}

/** SQL: nodes row `alias` is live: registered, up, and its heartbeat within the timeout. */
export function nodeIsLiveSql(alias: string, heartbeatTimeoutMs: number): string {
  return `${upSql(alias)} and ${heartbeatFreshSql(alias, heartbeatTimeoutMs)}`;
}

/** SQL: nodes row `alias` is up by status but silent past the timeout: the coordinator declares it lost. */
export function nodeIsSilentSql(alias: string, heartbeatTimeoutMs: number): string {
  return `${upSql(alias)} and not (${heartbeatFreshSql(alias, heartbeatTimeoutMs)})`;
}

/** SQL: the age of the node's last heartbeat in milliseconds by the database clock (a float8, a
 * number on both drivers), selected beside a row for `isNodeLive`. */
export function heartbeatAgeMsSql(alias: string): string {
  return `(extract(epoch from now() - ${alias}.last_heartbeat_at) * 1000)::float8`;
}

/** A node row read with `heartbeatAgeMsSql` beside it. */
export type NodeRowWithAge = NodeRow & { heartbeatAgeMs: number };

export interface NodeLiveness {
  status: NodeStatus;
  deregisteredAt: Date | null;
  /** From `heartbeatAgeMsSql`. */
  heartbeatAgeMs: number;
}

/** `nodeIsLiveSql` for a row read with its heartbeat age. */
export function isNodeLive(node: NodeLiveness, heartbeatTimeoutMs: number): boolean {
  return (
    node.deregisteredAt === null &&
    isIn(UP_NODE_STATUSES, node.status) &&
    node.heartbeatAgeMs < heartbeatTimeoutMs
  );
}
