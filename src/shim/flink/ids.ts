// Flink's identifiers and how jobgate's map onto them. A run id is already a JobID (32 lowercase hex);
// a vertex's JobVertexID is its uuid without dashes (32 hex, stable and reversible); a TaskManager's
// ResourceID is the node's name.
import { badParameter } from './respond.ts';

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** The 32-hex id of `:name`, lowercased, or a 400 worded as Flink's. */
export function parseHex32(name: string, value: string): string {
  if (!HEX32.test(value)) throw badParameter(name, value);
  return value.toLowerCase();
}

/** A vertex uuid as a Flink JobVertexID. */
export function vertexIdOf(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}

/** A JobVertexID back to the vertex uuid it came from. */
export function vertexUuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A non-negative integer path parameter (`:subtaskindex`, `:attempt`, `:checkpointid`), or a 400. */
export function parseIndex(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badParameter(name, value);
  return Number(value);
}
