/**
 * What makes a log line safe to write: no statement parameters, no secrets, bounded size.
 *
 * Database errors carry what they ran: postgres.js errors have `parameters`, `args`, `query` and
 * `types`; Drizzle's DrizzleQueryError has `params` and puts "params: …" into its message and stack.
 * pino's standard serializer copies every enumerable field, so a failed insert logged the row it was
 * inserting (a password among it). `serializeError` keeps only named, value-free fields and cuts the
 * parameters out of message and stack. `boundLogValue` caps strings, arrays, objects and depth so an
 * error line stays a few KB whatever the request was.
 */

export const MAX_LOG_STRING = 4096;
const MAX_STACK = 8192;
const MAX_ITEMS = 50;
const MAX_DEPTH = 5;
const MAX_CAUSES = 3;

/** Error fields that describe what went wrong without quoting the data (Postgres error fields). */
const SAFE_ERROR_FIELDS = [
  'code',
  'severity',
  'routine',
  'constraint_name',
  'table_name',
  'column_name',
  'schema_name',
  'path',
  'errno',
  'syscall',
  'signal',
  'status',
] as const;

export function truncate(text: string, max = MAX_LOG_STRING): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

/** Cuts Drizzle's "\nparams: …" (up to the stack's first frame) out of a message or stack. */
function withoutParams(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/, '\nparams: [omitted]');
}

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: unknown;
  [field: string]: unknown;
}

export function serializeError(err: unknown, depth = 0): unknown {
  // Already serialized (a warn line is bounded before pino's serializers run), or not an Error.
  if (!(err instanceof Error)) return boundLogValue(err, depth);
  const out: SerializedError = {
    type: err.name || err.constructor?.name || 'Error',
    message: truncate(withoutParams(String(err.message))),
  };
  if (typeof err.stack === 'string') out.stack = truncate(withoutParams(err.stack), MAX_STACK);
  const fields = err as unknown as Record<string, unknown>;
  for (const key of SAFE_ERROR_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number') {
      out[key] = typeof value === 'string' ? truncate(value, 256) : value;
    }
  }
  if (err.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** A copy of `value` fit for a log line: errors serialized safely, everything else bounded. */
export function boundLogValue(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'string') return truncate(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => boundLogValue(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more items]`);
    return items;
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (n++ >= MAX_ITEMS) {
      out['…'] = 'more keys omitted';
      break;
    }
    out[key] = boundLogValue((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}
