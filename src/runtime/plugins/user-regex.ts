/**
 * Regular expressions written by whoever defines a job (LocalFile's `file_filter_pattern`, Replace's
 * `pattern`). They run on the node's event loop, which also carries its pipelines and (on PGlite) its
 * heartbeat, so a pattern that backtracks catastrophically (`(a+)+b`, `((.*)*)*x`) could stall the
 * whole node on one file name or row value. Patterns with nested quantifiers are refused when the job
 * is defined; the check (safe-regex2's star-height rule) is a heuristic: it misses overlapping
 * alternations such as `(x|x)*y`, which is why the length is bounded too.
 */
import safeRegex from 'safe-regex2';
import { PluginConfigError } from './types.ts';

export const MAX_PATTERN_LENGTH = 1_000;

/** Compiles a job's pattern, or throws a PluginConfigError naming `option`. */
export function compileUserRegex(pattern: string, option: string, flags = ''): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PluginConfigError(option, `is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (err) {
    throw new PluginConfigError(option, `is not a valid regular expression: ${(err as Error).message}`);
  }
  if (!safeRegex(regex)) {
    throw new PluginConfigError(
      option,
      'nests quantifiers (like (a+)+), which can take exponential time on some inputs; rewrite it without a repeated group that repeats',
    );
  }
  return regex;
}
