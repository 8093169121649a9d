/**
 * Reading plugin options the way SeaTunnel configs are written. A HOCON config may say
 * `"row.num": 100` or `row { num = 100 }`; converted to JSON these become a flat dotted key or a nested
 * object, and both must mean the same. Every reader takes the option's dotted path and throws a
 * PluginConfigError naming that path when the value is wrong.
 */
import { PluginConfigError } from './types.ts';

export type Options = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, trying the flat key first, then every way of nesting it. */
export function optionValue(options: Options, path: string): unknown {
  if (Object.hasOwn(options, path)) return options[path];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = options[path.slice(0, dot)];
    if (isPlainObject(head)) {
      const found = optionValue(head, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

export function hasOption(options: Options, path: string): boolean {
  const value = optionValue(options, path);
  return value !== undefined && value !== null;
}

/** The first of several spellings that is set (SeaTunnel keeps fallback keys, e.g. `delimiter`). */
export function firstPresent(options: Options, paths: readonly string[]): string | undefined {
  return paths.find((p) => hasOption(options, p));
}

export function readString(options: Options, path: string): string | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new PluginConfigError(path, 'must be a string');
}

export function requireString(options: Options, path: string): string {
  const value = readString(options, path);
  if (value === undefined || value === '') throw new PluginConfigError(path, 'is required');
  return value;
}

/** An integer; HOCON numbers often arrive as strings ("100"), so those are accepted too. */
export function readInt(
  options: Options,
  path: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new PluginConfigError(path, intMessage(min, max));
  }
  return n;
}

function intMessage(min: number, max: number): string {
  if (min === 1 && max === Number.MAX_SAFE_INTEGER) return 'must be a positive integer';
  if (min === 0 && max === Number.MAX_SAFE_INTEGER) return 'must be a non-negative integer';
  if (max === Number.MAX_SAFE_INTEGER) return `must be an integer >= ${min}`;
  return `must be an integer between ${min} and ${max}`;
}

export function readNumber(options: Options, path: string): number | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new PluginConfigError(path, 'must be a number');
  return n;
}

export function readBoolean(options: Options, path: string): boolean | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new PluginConfigError(path, 'must be true or false');
}

/** A list of non-empty strings; a comma-separated string is accepted as well. */
export function readStringList(options: Options, path: string): string[] | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(items)) throw new PluginConfigError(path, 'must be a list of strings');
  return items.map((item, i) => {
    if (typeof item !== 'string' || item === '') {
      throw new PluginConfigError(`${path}[${i}]`, 'must be a non-empty string');
    }
    return item;
  });
}

/**
 * A map of names to strings, e.g. `field_mapper` or `schema.fields`. Entries may also be written as
 * flat keys under the path (`"schema.fields.id": "bigint"`); insertion order is kept because some
 * plugins (FieldMapper) take their output order from it.
 */
export function readStringMap(options: Options, path: string): Map<string, string> | undefined {
  const value = optionValue(options, path);
  const map = new Map<string, string>();
  if (value !== undefined && value !== null) {
    if (!isPlainObject(value)) throw new PluginConfigError(path, 'must be an object of names to strings');
    for (const [key, v] of Object.entries(value)) map.set(key, mapEntry(path, key, v));
  }
  const prefix = `${path}.`;
  for (const [key, v] of Object.entries(options)) {
    if (key.startsWith(prefix))
      map.set(key.slice(prefix.length), mapEntry(path, key.slice(prefix.length), v));
  }
  return map.size > 0 || value !== undefined ? map : undefined;
}

function mapEntry(path: string, key: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new PluginConfigError(`${path}.${key}`, 'must be a non-empty string');
  }
  return value;
}

export function readObjectList(options: Options, path: string): Options[] | undefined {
  const value = optionValue(options, path);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new PluginConfigError(path, 'must be a list of objects');
  return value.map((item, i) => {
    if (!isPlainObject(item)) throw new PluginConfigError(`${path}[${i}]`, 'must be an object');
    return item;
  });
}

export function readEnum<T extends string>(
  options: Options,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const value = readString(options, path);
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value.toLowerCase());
  if (!found) throw new PluginConfigError(path, `must be one of ${allowed.join(', ')}`);
  return found;
}

/** Exactly one of the given options must be set; returns the one that is. */
export function exactlyOne(options: Options, paths: readonly string[]): string {
  const set = paths.filter((p) => hasOption(options, p));
  if (set.length === 1) return set[0] as string;
  const names = paths.join(' or ');
  if (set.length === 0) throw new PluginConfigError(paths[0] as string, `is required (set ${names})`);
  throw new PluginConfigError(
    set[1] as string,
    `cannot be combined with ${set[0]} (set only one of ${names})`,
  );
}

/** Accepts `jdbc:postgresql://…` as SeaTunnel configs write it, and plain `postgres(ql)://…`. */
export function readPostgresUrl(options: Options, path = 'url'): string {
  const raw = requireString(options, path);
  const url = raw.startsWith('jdbc:') ? raw.slice('jdbc:'.length) : raw;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PluginConfigError(path, 'must be a postgresql:// URL');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new PluginConfigError(path, `must be a postgresql:// URL (got ${parsed.protocol}//)`);
  }
  return url;
}

/** Quotes a possibly schema-qualified name (`public.orders`) as SQL identifiers. */
export function quoteQualified(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Waits `ms`, or less if the signal fires; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
