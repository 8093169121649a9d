// The settings of a job that are not its definition (name, cluster, schedule, retries, tags, restart
// strategy, ...): one zod schema each, the source of their types, limits and messages.
import { z } from 'zod';
import { boundedInt, parseInput, withFallback } from '../../lib/parse-input.ts';
import { CONCURRENCY_POLICIES } from '../../lib/status.ts';
import { scheduleProblem, timezoneProblem } from '../schedule/parse-schedule.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

const quoted = (value: unknown) => {
  const text = String(value);
  return text.length > 60
    ? `${JSON.stringify(text.slice(0, 60))}… (${text.length} characters)`
    : JSON.stringify(text);
};

/** Job and cluster names: 1-200 letters, digits, dots, colons, dashes or underscores. */
export const nameSchema = z.string({ error: 'must be a name' }).regex(NAME, {
  error: (issue) =>
    `${quoted(issue.input)} is not a name: use 1-200 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit`,
});

/** `value` if it is a job or cluster name, else BAD_USER_INPUT naming `path`. */
export function checkName(value: string, path: string): string {
  return parseInput(nameSchema, value, path);
}

const STRING_MAP = 'must be a string (keys up to 200, values up to 2000 characters)';
const stringMap = z
  .record(z.string(), z.unknown(), { error: 'must be an object of string values' })
  .refine((map) => Object.keys(map).length <= 100, { message: 'must have at most 100 entries', abort: true })
  .pipe(
    z.record(z.string().max(200), z.string({ error: STRING_MAP }).max(2000, STRING_MAP), {
      error: STRING_MAP,
    }),
  );

const RESTART_TYPES = ['none', 'fixed-delay', 'exponential-delay'] as const;

const NO_RESTARTS = { type: 'none' as const, attempts: 0, delayMs: 1000, maxDelayMs: 60_000 };

/** How a failed run is restarted; absent means never. */
export const restartStrategySchema = z
  .object(
    {
      type: withFallback(
        z.enum(RESTART_TYPES, { error: 'must be none, fixed-delay or exponential-delay' }),
        'fixed-delay',
      ),
      attempts: withFallback(boundedInt(0, 1000), 3),
      delayMs: withFallback(boundedInt(0, 3_600_000), 1000),
      maxDelayMs: withFallback(boundedInt(0, 86_400_000), 60_000),
    },
    { error: 'must be an object { type, attempts, delayMs, maxDelayMs }' },
  )
  .nullish()
  .transform((s) => (s ? { ...s, attempts: s.type === 'none' ? 0 : s.attempts } : { ...NO_RESTARTS }));

export type RestartStrategy = z.output<typeof restartStrategySchema>;

const trimmed = z
  .string()
  .nullish()
  .transform((s) => s?.trim() || null);

const settingsFields = {
  name: nameSchema,
  cluster: withFallback(nameSchema, 'default'),
  schedule: trimmed,
  timezone: trimmed,
  retries: withFallback(boundedInt(0, 100), 0),
  concurrency: withFallback(z.enum(CONCURRENCY_POLICIES, { error: 'must be ALLOW or FORBID' }), 'ALLOW'),
  parentJob: nameSchema.nullish(),
  tags: withFallback(stringMap, {}),
  metadata: withFallback(stringMap, {}),
  disabled: withFallback(z.boolean({ error: 'must be true or false' }), false),
  restartStrategy: restartStrategySchema,
};

/**
 * The settings of a job, checked and ready to store. A schedule is checked in its time zone; one
 * given now (`now`) must not be an `@at` in the past, which would fire at once and nobody meant.
 */
export function jobSettingsSchema(now?: Date) {
  return z.object(settingsFields).superRefine((settings, ctx) => {
    const zone = settings.timezone && timezoneProblem(settings.timezone);
    if (zone) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zone });
    else if (settings.schedule) {
      const problem = scheduleProblem(settings.schedule, settings.timezone, now);
      if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem });
    }
  });
}

export type JobSettings = z.output<ReturnType<typeof jobSettingsSchema>>;
export type JobSettingsFields = z.input<ReturnType<typeof jobSettingsSchema>>;
