// Reading a decoded Nomad request body as Go's encoding/json fills Nomad's structs: object keys match
// field names case-insensitively ("id" fills ID), and a value of the wrong type is a decode error.
// Each helper takes the object and the Go field name and returns undefined for an absent or null
// value.
import { NomadError } from './respond.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

/** A value that does not fit the Go field: the decode error Nomad answers 400 with. */
export class JsonFieldError extends NomadError {
  constructor(message: string) {
    super(400, message);
    this.name = 'JsonFieldError';
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value under `name`, the exact key first, then any key equal ignoring case. */
export function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name] ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) {
    if (key.toLowerCase() === lower) return value ?? undefined;
  }
  return undefined;
}

function wrongType(value: unknown, goType: string, path: string): JsonFieldError {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return new JsonFieldError(`json: cannot unmarshal ${kind} into Go struct field ${path} of type ${goType}`);
}

export function stringField(object: JsonObject, name: string, path: string): string | undefined {
  const value = field(object, name);
  if (value === undefined || typeof value === 'string') return value;
  throw wrongType(value, 'string', path);
}

export function intField(object: JsonObject, name: string, path: string): number | undefined {
  const value = field(object, name);
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw wrongType(value, 'int', path);
}

export function objectField(object: JsonObject, name: string, path: string): JsonObject | undefined {
  const value = field(object, name);
  if (value === undefined || isObject(value)) return value;
  throw wrongType(value, 'map[string]interface {}', path);
}

export function arrayField(object: JsonObject, name: string, path: string): readonly unknown[] | undefined {
  const value = field(object, name);
  if (value === undefined || Array.isArray(value)) return value;
  throw wrongType(value, '[]interface {}', path);
}

export function stringListField(object: JsonObject, name: string, path: string): string[] | undefined {
  const list = arrayField(object, name, path);
  if (list === undefined) return undefined;
  if (list.every((item) => typeof item === 'string')) return list as string[];
  throw wrongType(
    list.find((item) => typeof item !== 'string'),
    'string',
    path,
  );
}
