import { createHash, randomBytes } from 'node:crypto';

/** A run id: 32 lowercase hex characters, the shape of a Flink JobID. */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

export function isRunId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Opaque page cursors: base64url of a JSON value, so clients copy them and never parse them. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A job's number: a positive 31-bit integer derived from its uuid, for clients that name jobs by
 * number (Keeper's jobId). Stable for the job's life; two jobs may share one (odds about n²/2³² for
 * n jobs), and a lookup by number then names both as a conflict.
 */
export function jobNumber(jobId: string): number {
  return (Number.parseInt(jobId.replace(/-/g, '').slice(0, 8), 16) % 0x7fffffff) + 1;
}
