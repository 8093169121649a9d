// Resolving what a client names (a job by name, a run by id) into rows, with the errors to show.
import { and, eq, isNull } from 'drizzle-orm';
import { jobs, runs } from '../db/schema/index.ts';
import { BadInputError, ConflictError, NotFoundError } from '../lib/errors.ts';
import { isUuid, jobNumber } from '../lib/ids.ts';
import { parseInput } from '../lib/parse-input.ts';
import { checkName, runIdSchema } from '../runtime/index.ts';
import type { GraphQLContext } from './context.ts';
import { loadRunTree, type RunParts } from './run-tree.ts';
import type { JobRow, RunRow } from '../db/schema/index.ts';
import type { NodeRowWithAge } from '../db/node-liveness.ts';

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

/** A live job by its number (Job.number), or NOT_FOUND; CONFLICT when two live jobs share it. Reads
 * every live job's id: job counts are small, and the number is derived, not stored. */
export async function requireJobByNumber(number: number, ctx: GraphQLContext): Promise<JobRow> {
  const rows = await ctx.database.db.select({ id: jobs.id }).from(jobs).where(isNull(jobs.deletedAt));
  const matches = rows.filter((row) => jobNumber(row.id) === number);
  if (matches.length > 1) throw new ConflictError(`job number ${number} names ${matches.length} jobs`);
  const job = matches[0] ? await ctx.loaders.job.load(matches[0].id) : undefined;
  if (!job) throw new NotFoundError('job', String(number));
  return job;
}

/** A run by its number (Run.number), or NOT_FOUND. */
export async function requireRunByNumber(number: number, ctx: GraphQLContext): Promise<RunRow> {
  const [row] = await ctx.database.db.select().from(runs).where(eq(runs.num, number));
  if (!row) throw new NotFoundError('run', String(number));
  return row;
}

/** A run by id, or NOT_FOUND; a malformed id is BAD_USER_INPUT naming `path`. With `parts`, what
 * the query asks below the run is read in the same statement (run-tree.ts). */
export async function requireRun(
  id: string,
  ctx: GraphQLContext,
  path = 'id',
  parts?: RunParts,
): Promise<RunRow> {
  parseInput(runIdSchema, id, path);
  const run = parts ? await loadRunTree(ctx, id, parts) : await ctx.loaders.run.load(id);
  if (!run) throw new NotFoundError('run', id);
  return run;
}

/** A node by id, or NOT_FOUND; an id that is not a uuid is BAD_USER_INPUT naming `path`. */
export async function requireNode(id: string, ctx: GraphQLContext, path = 'node'): Promise<NodeRowWithAge> {
  if (!isUuid(id))
    throw new BadInputError(`${path} must be a node id (a uuid), got ${JSON.stringify(id)}`, { path });
  const node = await ctx.loaders.node.load(id);
  if (!node) throw new NotFoundError('node', id);
  return node;
}
