// Cuts a run's secrets out of its log lines before they are stored: a command's sealed env values
// (a job that echoes $DB_PASSWORD), a request's sealed header values (a server that echoes the
// request). Lines reach here whole (the line splitter joins a line's chunks first), so a value split
// across two reads of a pipe is still one occurrence here. What it cannot see: a value the command
// transformed (base64, reversed, cut at the 64 KiB line limit).

/** Shorter values are left alone: "1", "yes" or "dev" would blank out ordinary output and hide
 * nothing worth hiding. */
export const MIN_SCRUBBED_LENGTH = 4;

/** Env names whose values are secrets by their name, as Airflow decides which variables to mask: a
 * job's env is sealed at rest as a whole, but blanking every value (`PORT=8080`) out of its output
 * would hide ordinary numbers and paths. */
const SENSITIVE_NAME = /pass|pwd|secret|token|key|auth|credential|private|cookie|session|cert|dsn/i;

/** The values of `env` a command's output must not show: those of sensitive names. */
export function sensitiveEnvValues(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {})
    .filter(([name]) => SENSITIVE_NAME.test(name))
    .map(([, value]) => value);
}

/**
 * A function that replaces every exact occurrence of each of `values` in a line with `replacement`.
 * A value of several lines (a PEM key) is also looked for line by line, since output arrives as
 * lines; longer values go first, so one that contains another is replaced whole.
 */
export function createSecretScrubber(
  values: Iterable<string>,
  replacement = '***',
): (line: string) => string {
  const pieces = new Set<string>();
  for (const value of values) {
    for (const piece of [value, ...value.split(/\r?\n/)]) {
      if (piece.length >= MIN_SCRUBBED_LENGTH) pieces.add(piece);
    }
  }
  if (pieces.size === 0) return (line) => line;
  const ordered = [...pieces].sort((a, b) => b.length - a.length);
  return (line) => {
    let text = line;
    for (const piece of ordered) if (text.includes(piece)) text = text.split(piece).join(replacement);
    return text;
  };
}
