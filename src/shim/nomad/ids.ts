// Nomad's identifiers for what jobgate derives (evaluations, allocations): stable UUIDs, the same on
// every read and every gateway, made from what they stand for (a run, a task group, an attempt).
// Times: Nomad writes int64 Unix nanoseconds, beyond a JSON number's exact range, so they travel as
// bigint and are written as exact integers (nomadJson).
import { createHash } from 'node:crypto';

/** A UUID (8-4-4-4-12 lowercase hex) derived from `parts`. */
export function stableUuid(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The evaluation a register (or start) of a run made. */
export function registerEvalId(runId: string): string {
  return stableUuid('nomad-eval', runId, 'register');
}

/** The evaluation a stop (DELETE /v1/job/:id) of a run made. */
export function deregisterEvalId(runId: string): string {
  return stableUuid('nomad-eval', runId, 'deregister');
}

/** The evaluation that replaced a failed attempt's allocations. */
export function failureEvalId(runId: string, attempt: number): string {
  return stableUuid('nomad-eval', runId, 'alloc-failure', attempt);
}

/** The allocation of one task group in one attempt of a run. */
export function allocId(runId: string, group: string, attempt: number): string {
  return stableUuid('nomad-alloc', runId, group, attempt);
}

/** Unix nanoseconds of an ISO time (0 when there is none). */
export function nanos(iso: string | null | undefined): bigint {
  return iso ? BigInt(Date.parse(iso)) * 1_000_000n : 0n;
}

/** Milliseconds of an ISO time, as Nomad's raft indexes here (0 when there is none). */
export function indexOf(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : 0;
}

/** Go's zero time.Time as it marshals. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** An RFC3339 time (Go's time.Time), or the zero time. */
export function goTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString() : ZERO_TIME;
}
