// What a client passes to the run verbs (start, stop, cancel, restart, savepoint), as zod schemas:
// one description of their shapes and limits for every way in (GraphQL now, the REST dialects next).
// GraphQL already types the booleans and enums; these add what a type cannot say.
import { z } from 'zod';
import { isRunId, isUuid } from '../../lib/ids.ts';
import { boundedInt } from '../../lib/parse-input.ts';
import { MAX_PARALLELISM } from '../definition/job-definition.ts';
import { nameSchema } from '../jobs/job-settings.ts';

/** A client's value quoted back, at most 60 characters of it. */
const quoted = (value: unknown) => {
  const text = String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
};

/** A run id: 32 lowercase hex characters (a Flink JobID). */
export const runIdSchema = z.string().refine(isRunId, {
  error: (issue) => `must be 32 lowercase hex characters, got ${quoted(issue.input)}`,
});

/** A savepoint or checkpoint id (a UUID). */
export const checkpointIdSchema = z.string().refine(isUuid, {
  error: (issue) => `${quoted(issue.input)} is not a savepoint id`,
});

/** Client-chosen: the same one never yields a second savepoint of a run. */
export const savepointRequestIdSchema = z.string().max(200, 'must be at most 200 characters');

/** The longest a start may be delayed (startJob delaySeconds). */
export const MAX_START_DELAY_SECONDS = 3600;

/** startJob: the job, and what this one run may override. */
export const startJobInputSchema = z.object({
  job: nameSchema,
  fromSavepoint: checkpointIdSchema.nullish(),
  parallelism: boundedInt(1, MAX_PARALLELISM).nullish(),
  allowNonRestoredState: z.boolean().nullish(),
  delaySeconds: boundedInt(0, MAX_START_DELAY_SECONDS).nullish(),
});

export type StartJobInput = z.input<typeof startJobInputSchema>;
