/**
 * Checks what an admin gives for a connection and turns it into what is stored: a URL without
 * credentials (a `user:pass@` inside it is split off: the user to `username`, the password to the
 * secret), the password apart, and only the options jobgate knows. Every problem is a BadInputError
 * naming the field.
 */
import { BadInputError } from '../../lib/errors.ts';
import { CONNECTION_KINDS } from '../../db/schema/connection.ts';
import { isSecretKey } from '../definition/secret-options.ts';

export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAX_URL = 2000;
const MAX_TEXT = 2000;

/** Connection options and their bounds (milliseconds); anything else is refused. */
export const CONNECTION_OPTION_BOUNDS: Record<string, { min: number; max: number }> = {
  connect_timeout_ms: { min: 100, max: 600_000 },
  statement_timeout_ms: { min: 1, max: 86_400_000 },
  idle_timeout_ms: { min: 1000, max: 86_400_000 },
};
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-full'];

const bad = (path: string, message: string): never => {
  throw new BadInputError(`${path}: ${message}`, { path });
};

export function checkConnectionName(name: unknown, path: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    bad(path, 'must be 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  }
  return name as string;
}

export function checkText(value: unknown, path: string, max = MAX_TEXT): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return bad(path, 'must be a string');
  if (value.length > max) bad(path, `must be at most ${max} characters`);
  if (value.includes('\u0000')) bad(path, 'must not contain NUL characters');
  return value;
}

export interface SplitUrl {
  /** postgresql://host[:port]/database[?sslmode=…], no credentials. */
  url: string;
  username?: string;
  password?: string;
}

/** A postgres URL (also `jdbc:postgresql://`), with any credentials taken out of it. */
export function splitPostgresUrl(raw: unknown, path: string): SplitUrl {
  const text = checkText(raw, path, MAX_URL);
  if (!text) return bad(path, 'is required');
  const plain = text.startsWith('jdbc:') ? text.slice('jdbc:'.length) : text;
  let url: URL;
  try {
    url = new URL(plain);
  } catch {
    return bad(path, 'must be a postgresql://host[:port]/database URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    bad(path, `must be a postgresql:// URL (got ${url.protocol}//)`);
  }
  if (!url.hostname) bad(path, 'must name a host (postgresql://host/database)');
  if (url.hash) bad(path, 'must not have a #fragment');
  for (const key of url.searchParams.keys()) {
    if (isSecretKey(key)) bad(path, `must not carry a ${key} parameter; give the password separately`);
    if (key !== 'sslmode')
      bad(path, `the parameter ${key} is not supported (only sslmode; timeouts go in options)`);
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode))
    bad(path, `sslmode must be one of ${SSL_MODES.join(', ')}`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  return { url: url.toString(), username, password };
}

/** Options as stored: known keys, values as strings. */
export function checkConnectionOptions(value: unknown, path: string): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return bad(path, `must be an object with any of ${Object.keys(CONNECTION_OPTION_BOUNDS).join(', ')}`);
  }
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const bounds = CONNECTION_OPTION_BOUNDS[key];
    if (!bounds) {
      bad(
        `${path}.${key}`,
        `is not a connection option (known: ${Object.keys(CONNECTION_OPTION_BOUNDS).join(', ')})`,
      );
    }
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < bounds!.min || n > bounds!.max) {
      bad(`${path}.${key}`, `must be an integer from ${bounds!.min} to ${bounds!.max} (milliseconds)`);
    }
    out[key] = String(n);
  }
  return out;
}

export function checkKind(value: unknown, path: string): ConnectionKind {
  const kind = value ?? 'postgres';
  if (!CONNECTION_KINDS.includes(kind as ConnectionKind))
    bad(path, `must be one of ${CONNECTION_KINDS.join(', ')}`);
  return kind as ConnectionKind;
}
