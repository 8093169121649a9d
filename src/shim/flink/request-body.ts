// Reading a Flink request's JSON body and query parameters as Flink's handlers do (AbstractHandler
// with Jackson's flexible mapper): an empty body is `{}`, unknown fields are ignored, scalars are
// coerced ("true" → true, "2" → 2), and anything that does not fit the request class is a 400
// `Request did not match expected format <Class>.`. A multipart body on a handler that takes no files
// is 400 `File uploads not allowed.`.
import { badParameter, FlinkRestError } from './respond.ts';

export type JsonBody = Readonly<Record<string, unknown>>;

/** The 400 Flink answers when the body does not map onto `requestClass`. */
export function formatError(requestClass: string): FlinkRestError {
  return new FlinkRestError(400, `Request did not match expected format ${requestClass}.`);
}

/** The body as a JSON object; `{}` when it is empty. */
export async function readJsonBody(request: Request, requestClass: string): Promise<JsonBody> {
  const type = request.headers.get('content-type') ?? '';
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    throw new FlinkRestError(400, 'File uploads not allowed.');
  }
  const text = await request.text();
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw formatError(requestClass);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw formatError(requestClass);
  return parsed as JsonBody;
}

/** A boolean field (or its "true"/"false" text); undefined when absent or null. */
export function bodyBoolean(body: JsonBody, key: string, requestClass: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw formatError(requestClass);
}

/** An integer field (or its decimal text); undefined when absent or null. */
export function bodyInt(body: JsonBody, key: string, requestClass: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d{1,10}$/.test(value.trim()) ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
  throw formatError(requestClass);
}

/** A string field (numbers and booleans as their text, as Jackson coerces them); undefined when
 * absent or null. */
export function bodyString(body: JsonBody, key: string, requestClass: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw formatError(requestClass);
}

/** A list-of-strings field; undefined when absent or null. */
export function bodyStringList(body: JsonBody, key: string, requestClass: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw formatError(requestClass);
}

/** A query parameter as Flink reads it: repeated values joined with `,`; undefined when absent. */
export function queryValue(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name);
  return values.length ? values.join(',') : undefined;
}

/** A boolean query parameter (Boolean.valueOf: anything but "true" is false). */
export function queryBoolean(url: URL, name: string): boolean | undefined {
  const value = queryValue(url, name);
  return value === undefined ? undefined : value.toLowerCase() === 'true';
}

/** An integer query parameter, or the 400 HandlerRequest answers. */
export function queryInt(url: URL, name: string): number | undefined {
  const value = queryValue(url, name);
  if (value === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badParameter(name, value, 'query');
  }
  return Number(value);
}
