// Resolving what a client names (a job by name, a run by id) into rows, with the errors to show.
import { and, eq, isNull } from 'drizzle-orm';
import { jobs } from '../db/schema/index.ts';
import { NotFoundError } from '../lib/errors.ts';
import { parseInput } from '../lib/parse-input.ts';
import { checkName, runIdSchema } from '../runtime/index.ts';
import type { GraphQLContext } from './context.ts';
import type { JobRow, RunRow } from '../db/schema/index.ts';

/** A live (not deleted) job by name, or NOT_FOUND; a name no job can have is BAD_USER_INPUT. */
export async function requireJobByName(name: string, ctx: GraphQLContext, path = 'name'): Promise<JobRow> {
  checkName(name, path);
  const [row] = await ctx.database.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.name, name), isNull(jobs.deletedAt)));
  if (!row) throw new NotFoundError('job', name);
  return row;
}

/** A run by id, or NOT_FOUND; a malformed id is BAD_USER_INPUT naming `path`. */
export async function requireRun(id: string, ctx: GraphQLContext, path = 'id'): Promise<RunRow> {
  parseInput(runIdSchema, id, path);
  const run = await ctx.loaders.run.load(id);
  if (!run) throw new NotFoundError('run', id);
  return run;
}
