// Schedules: cron with 5 or 6 fields (croner), `@every <duration>`, `@at <time>`, `@manually`,
// and the usual cron nicknames (@hourly, @daily, ...).
import { Cron } from 'croner';

export type Schedule =
  | { kind: 'cron'; cron: Cron }
  | { kind: 'every'; everyMs: number }
  | { kind: 'at'; at: Date }
  | { kind: 'manual' };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Go-style durations as Dkron takes them: `1s`, `1m30s`, `1h`, `500ms`. */
export function parseDuration(text: string): number | undefined {
  const parts = text.match(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g);
  if (!parts || parts.join('') !== text) return undefined;
  let total = 0;
  for (const part of parts) {
    const [, n, unit] = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(part)!;
    total += Number(n) * UNITS[unit!]!;
  }
  return total;
}

export function parseSchedule(text: string, timezone: string | null): Schedule {
  const trimmed = text.trim();
  if (trimmed === '@manually' || trimmed === '') return { kind: 'manual' };
  if (trimmed.startsWith('@every')) {
    const ms = parseDuration(trimmed.slice('@every'.length).trim());
    if (ms === undefined || ms < 1000)
      throw new Error('@every needs a duration of at least 1s, e.g. @every 30s or @every 1m');
    return { kind: 'every', everyMs: ms };
  }
  if (trimmed.startsWith('@at')) {
    const at = new Date(trimmed.slice('@at'.length).trim());
    if (Number.isNaN(at.getTime()))
      throw new Error('@at needs an ISO-8601 time, e.g. @at 2026-12-01T10:00:00Z');
    return { kind: 'at', at };
  }
  const fields = trimmed.startsWith('@') ? 1 : trimmed.split(/\s+/).length;
  if (fields !== 1 && fields !== 5 && fields !== 6) {
    throw new Error(`a cron expression has 5 or 6 fields, this one has ${fields}`);
  }
  return { kind: 'cron', cron: new Cron(trimmed, { timezone: timezone ?? undefined, paused: true }) };
}

/** Why `timezone` is not an IANA time zone the platform knows (Intl), if it is not. */
export function timezoneProblem(timezone: string): string | undefined {
  let known = timezone.length > 0 && timezone.length <= 64;
  if (known) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      known = false;
    }
  }
  return known ? undefined : `${JSON.stringify(timezone.slice(0, 64))} is not an IANA time zone`;
}

/**
 * Why a schedule cannot be saved, if it cannot. `now` is given when the schedule is new: an `@at` in
 * the past would fire at once, which nobody meant, so it is refused.
 */
export function scheduleProblem(text: string, timezone: string | null, now?: Date): string | undefined {
  let schedule: Schedule;
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  try {
    if (text.length > 1000) throw new Error('it is longer than 1000 characters');
    schedule = parseSchedule(text, timezone);
  } catch (err) {
    return `${shown} is not a schedule: ${(err as Error).message}`;
  }
  if (now && schedule.kind === 'at' && schedule.at.getTime() < now.getTime()) {
    return `${shown} is in the past (now is ${now.toISOString()})`;
  }
  return undefined;
}
