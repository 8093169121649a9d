// Flink's identifiers and how jobgate's map onto them. A run id is already a JobID (32 lowercase hex);
// a vertex's JobVertexID and a node's TaskManager ResourceID are their uuids without dashes (32 hex,
// stable, and the form Flink's spec gives every id).
import { badParameter } from './respond.ts';

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** The 32-hex id of `:name`, lowercased, or a 400 worded as Flink's. */
export function parseHex32(name: string, value: string): string {
  if (!HEX32.test(value)) throw badParameter(name, value);
  return value.toLowerCase();
}

/** A uuid (a vertex's, a node's) as a Flink id: its 32 hex digits. */
export function hexOfUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}

/** A vertex uuid as a Flink JobVertexID. */
export const vertexIdOf = hexOfUuid;
/** A node uuid as a TaskManager's ResourceID. */
export const taskManagerIdOf = hexOfUuid;

/** A non-negative integer path parameter (`:subtaskindex`, `:attempt`, `:checkpointid`), or a 400. */
export function parseIndex(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badParameter(name, value);
  return Number(value);
}
