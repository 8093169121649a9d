// Client input checked against a zod schema, with refusals in jobgate's shape: a BadInputError whose
// message and path name the place, e.g. `input.pipeline.source[2].parallelism: must be an integer
// from 1 to 256`. The schemas give their own messages; zod's defaults are only a fallback.
import { z } from 'zod';
import { BadInputError } from './errors.ts';

/** Problems quoted in one message; the rest are counted (every one is in `details.problems`). */
const MAX_PROBLEMS_SHOWN = 5;
const MAX_PROBLEMS_KEPT = 50;

/** A key a client chose (a tag name, an option) is quoted at most this long in a path. */
const MAX_SEGMENT = 60;

export interface InputProblem {
  path: string;
  message: string;
}

/**
 * `base` followed by the issue's path: numbers as `[n]`, keys as `.key`. A key that already starts
 * with `[` is a path fragment a rule wrote itself (e.g. `[2].dependsOn[0]`) and is appended as is.
 */
export function inputPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      const shown = key.length > MAX_SEGMENT ? `${key.slice(0, MAX_SEGMENT)}…` : key;
      out += key.startsWith('[') || out === '' ? shown : `.${shown}`;
    }
  }
  return out;
}

function problemOf(issue: z.core.$ZodIssue, base: string): InputProblem {
  // An unknown key is named by the key itself, not by the object that holds it.
  const path =
    issue.code === 'unrecognized_keys' && issue.keys.length > 0
      ? [...issue.path, issue.keys[0]!]
      : issue.path;
  return { path: inputPath(base, path), message: issue.message };
}

/** The BadInputError for a failed parse: the first problem gives the path, all are listed. */
export function inputError(error: z.ZodError, base: string): BadInputError {
  const problems = error.issues.slice(0, MAX_PROBLEMS_KEPT).map((i) => problemOf(i, base));
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${p.path}: ${p.message}`);
  const more = error.issues.length - shown.length;
  const message = shown.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
  return new BadInputError(message, {
    path: problems[0]!.path,
    details: problems.length > 1 ? { problems } : undefined,
  });
}

/** The parsed value, or a BadInputError naming every problem under `base` (e.g. `input`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, base: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw inputError(result.error, base);
  return result.data;
}

/** An integer from `min` to `max`, refused with one message whatever is wrong with it. */
export function boundedInt(min: number, max: number, message = `must be an integer from ${min} to ${max}`) {
  return z.number({ error: message }).int({ error: message }).min(min, message).max(max, message);
}

/** `schema`, with `fallback` standing in for a missing or null value. */
export function withFallback<S extends z.ZodType>(schema: S, fallback: z.output<S>) {
  return schema.nullish().transform((value) => value ?? fallback);
}
