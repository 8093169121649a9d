// Keeper's query and path parameters as akka-http reads them: a missing required one is a 404
// rejection, one that does not parse (`jobId=abc` for an Int) a 400 naming it. An optional one left
// empty (`?creator=&delay=&ignore=`, as Keeper's own docs write the calls) takes its default.
import { AkkaText, KeeperRestError } from './respond.ts';

const INT_MAX = 2_147_483_647;

/** A parameter's value, or the 404 akka answers when it is missing. */
export function required(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new KeeperRestError(404, AkkaText.missingParameter(name));
  return value;
}

/** An optional parameter's value; absent or empty is undefined. */
export function optional(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  return value === null || value === '' ? undefined : value;
}

/** The first of `names` given (Keeper renamed parameters between versions), or undefined. */
export function firstOf(url: URL, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = optional(url, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A 32-bit signed integer parameter (akka's `.as[Int]`), `fallback` when absent. */
export function intParam(url: URL, name: string, fallback?: number): number {
  const raw = fallback === undefined ? url.searchParams.get(name) : (optional(url, name) ?? null);
  if (raw === null) {
    if (fallback === undefined) throw new KeeperRestError(404, AkkaText.missingParameter(name));
    return fallback;
  }
  return parseIntText(raw, name, 'a valid 32-bit signed integer value');
}

/** A 64-bit integer parameter (akka's `.as[Long]`) limited to what JavaScript holds exactly. */
export function longParam(url: URL, name: string, fallback?: number): number {
  const raw = fallback === undefined ? url.searchParams.get(name) : (optional(url, name) ?? null);
  if (raw === null) {
    if (fallback === undefined) throw new KeeperRestError(404, AkkaText.missingParameter(name));
    return fallback;
  }
  return parseIntText(raw, name, 'a valid 64-bit signed integer value', Number.MAX_SAFE_INTEGER);
}

function parseIntText(raw: string, name: string, kind: string, max = INT_MAX): number {
  const value = /^-?\d{1,19}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || Math.abs(value) > max) {
    throw new KeeperRestError(400, AkkaText.malformedParameter(name, `'${raw.slice(0, 60)}' is not ${kind}`));
  }
  return value;
}

/** A path segment Keeper matches with IntNumber/LongNumber: anything else matches no route (404). */
export function pathNumber(segment: string | undefined): number {
  const value = segment && /^\d{1,16}$/.test(segment) ? Number(segment) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new KeeperRestError(404, AkkaText.notFound);
  return value;
}

/** `yyyy-MM-dd HH:mm:ss` (Keeper's recordTime), checked for shape only. */
export function recordTimeParam(url: URL, name: string, isRequired: boolean): string | undefined {
  const raw = isRequired ? required(url, name) : (optional(url, name) ?? null);
  if (raw === null) return undefined;
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/.test(raw)) {
    throw new KeeperRestError(
      400,
      AkkaText.malformedParameter(name, `'${raw.slice(0, 60)}' is not a time as yyyy-MM-dd HH:mm:ss`),
    );
  }
  return raw;
}
