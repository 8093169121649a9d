/**
 * Secret-looking options in job definitions (password, secret, token, credentials, … at any depth,
 * any case). They are sealed with the secret key before a definition is stored, opened only on the
 * node right before a plugin gets its options, and shown to nobody: every place a definition is read
 * back shows `[redacted]` instead, whatever the reader's role.
 */
import type { SecretBox } from '../../lib/secret-box.ts';

const SECRET_KEY =
  /passw(or)?d|^pwd$|secret|token|credential|private[_.-]?key|access[_.-]?key|api[_.-]?key|keytab|authorization/i;

export const REDACTED = '[redacted]';

/** A sealed value as stored: an object no client can write a usable copy of (see sealSecrets). */
interface Sealed {
  $sealed: string;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Options whose keys are column names (`schema.fields`, FieldMapper's `field_mapper`): a column
 * named `password` or `api_token` is data, not a secret, and its value is a type or a new name. */
const COLUMN_MAPS = /^(schema|fields|schema\.fields|field_mapper)$/i;

const isColumnMap = (key: string) => COLUMN_MAPS.test(key);

function isSealed(value: unknown): value is Sealed {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Sealed).$sealed === 'string'
  );
}

/** `value` with `fn` applied to every (key, value) pair of every object in it, depth first. */
function mapEntries(value: unknown, fn: (key: string, v: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapEntries(v, fn));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fn(k, v);
  return out;
}

/** Seals every string or number under a secret-looking key. A client-sent `{ $sealed }` object is
 * just an object here: its string is sealed again, so it opens to the client's own text, never to
 * someone else's secret. */
export function sealSecrets<T>(value: T, box: SecretBox): T {
  const sealAll = (v: unknown): unknown => {
    if (typeof v === 'string' || typeof v === 'number') return { $sealed: box.seal(String(v)) };
    if (typeof v === 'object' && v !== null) return mapEntries(v, (_k, inner) => sealAll(inner));
    return v;
  };
  const walk = (v: unknown): unknown =>
    mapEntries(v, (k, inner) => (isColumnMap(k) ? inner : isSecretKey(k) ? sealAll(inner) : walk(inner)));
  return walk(value) as T;
}

/** Seals every value of the map under `key` in `value` (a command's env, a request's headers):
 * what a job passes to its process or target is treated as a secret whatever its name. */
export function sealValuesUnder<T>(value: T, key: string, box: SecretBox): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const map = (value as Record<string, unknown>)[key];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return value;
  const sealed = Object.fromEntries(
    Object.entries(map).map(([k, v]) => [
      k,
      isSealed(v) || (typeof v !== 'string' && typeof v !== 'number') ? v : { $sealed: box.seal(String(v)) },
    ]),
  );
  return { ...value, [key]: sealed };
}

/** Opens every sealed value (on the node, right before a plugin reads its options). */
export function revealSecrets<T>(value: T, box: SecretBox): T {
  const walk = (v: unknown): unknown => {
    if (isSealed(v)) return box.open(v.$sealed);
    return mapEntries(v, (_k, inner) => walk(inner));
  };
  return walk(value) as T;
}

/** What a reader sees: secret-looking keys, sealed values and URL passwords replaced. */
export function redactSecrets<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (isSealed(v)) return REDACTED;
    if (typeof v === 'string') return redactUrlPassword(v);
    return mapEntries(v, (k, inner) =>
      isColumnMap(k)
        ? inner
        : isSecretKey(k) && inner !== null && inner !== undefined
          ? REDACTED
          : walk(inner),
    );
  };
  return walk(value) as T;
}

/** A URL's password (userinfo or a password query parameter), for the checks and the redaction. */
export function urlPassword(text: string): string | undefined {
  if (!/^(jdbc:)?[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text.startsWith('jdbc:') ? text.slice(5) : text);
  } catch {
    return undefined;
  }
  if (url.password) return decodeURIComponent(url.password);
  for (const [k, v] of url.searchParams) if (isSecretKey(k) && v) return v;
  return undefined;
}

function redactUrlPassword(text: string): string {
  if (urlPassword(text) === undefined) return text;
  const prefix = text.startsWith('jdbc:') ? 'jdbc:' : '';
  const url = new URL(text.slice(prefix.length));
  if (url.password) url.password = '***';
  for (const k of [...url.searchParams.keys()]) if (isSecretKey(k)) url.searchParams.set(k, '***');
  return prefix + url.toString();
}
