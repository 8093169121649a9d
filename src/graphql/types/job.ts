import { and, asc, count, gt, ilike, sql, type SQL } from 'drizzle-orm';
import { clusters, jobs, runs } from '../../db/schema/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import { checkName, redactSecrets } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { requireJobByName, requireJobByNumber } from '../lookups.ts';
import { jobNumber } from '../../lib/ids.ts';
import { mustExist } from '../must-exist.ts';
import { decodeKeyCursor, encodeKeyCursor, pageFromRows, pageSize } from '../pagination.ts';
import { ConcurrencyEnum, JobKindEnum, JobModeEnum, RunStatusEnum } from './enums.ts';
import { ClusterRef, JobRef, RunRef } from './refs.ts';
import { runsPage } from './run-pages.ts';
import { TagRef } from './worker-node.ts';

const toTags = (map: Record<string, string>) =>
  Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));

JobRef.implement({
  description: 'A named, versioned job definition: a DAG of vertices plus its settings.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    number: t.int({
      description:
        'A positive number derived from the job, stable for its life, for clients that name jobs by number (Keeper); rarely shared by two jobs.',
      resolve: (j) => jobNumber(j.id),
    }),
    version: t.exposeInt('currentVersion', { description: 'The current definition version (1, 2, ...).' }),
    kind: t.field({
      type: JobKindEnum,
      resolve: async (j, _a, ctx) => (await currentVersion(j.id, ctx)).kind,
    }),
    mode: t.field({
      type: JobModeEnum,
      resolve: async (j, _a, ctx) => (await currentVersion(j.id, ctx)).mode,
    }),
    parallelism: t.int({ resolve: async (j, _a, ctx) => (await currentVersion(j.id, ctx)).parallelism }),
    checkpointIntervalMs: t.int({
      nullable: true,
      resolve: async (j, _a, ctx) => (await currentVersion(j.id, ctx)).checkpointIntervalMs,
    }),
    restartStrategy: t.field({
      type: 'JSON',
      description: 'How a failed run restarts: { type, attempts, delayMs, maxDelayMs }.',
      resolve: async (j, _a, ctx) => (await currentVersion(j.id, ctx)).restartStrategy,
    }),
    definition: t.field({
      type: 'JSON',
      description:
        'The definition as submitted (a SeaTunnel-style pipeline, a command, or steps); secret-looking options read [redacted], whoever asks.',
      resolve: async (j, _a, ctx) => redactSecrets((await currentVersion(j.id, ctx)).definition),
    }),
    schedule: t.exposeString('schedule', { nullable: true }),
    timezone: t.exposeString('timezone', { nullable: true }),
    disabled: t.exposeBoolean('disabled'),
    concurrency: t.field({ type: ConcurrencyEnum, resolve: (j) => j.concurrency }),
    retries: t.exposeInt('retries'),
    tags: t.field({ type: [TagRef], resolve: (j) => toTags(j.tags) }),
    metadata: t.field({ type: [TagRef], resolve: (j) => toTags(j.metadata) }),
    cluster: t.field({
      type: ClusterRef,
      resolve: async (j, _a, ctx) =>
        mustExist(await ctx.loaders.cluster.load(j.clusterId), 'cluster', j.clusterId),
    }),
    parentJob: t.field({
      type: JobRef,
      nullable: true,
      resolve: (j, _a, ctx) => (j.parentJobId ? ctx.loaders.job.load(j.parentJobId) : null),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (j) => j.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (j) => j.updatedAt }),
    latestRun: t.field({
      type: RunRef,
      nullable: true,
      resolve: (j, _a, ctx) => ctx.loaders.latestRunByJob.load(j.id),
    }),
    runs: t.connection({
      type: RunRef,
      description: 'Runs of this job, newest first.',
      args: { status: t.arg({ type: RunStatusEnum }) },
      resolve: (j, args, ctx) =>
        runsPage(ctx, { jobId: j.id, status: args.status, first: args.first, after: args.after }),
    }),
  }),
});

async function currentVersion(jobId: string, ctx: GraphQLContext) {
  return mustExist(await ctx.loaders.currentVersionOfJob.load(jobId), 'current version of job', jobId);
}

builder.queryFields((t) => ({
  job: t.field({
    type: JobRef,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => requireJobByName(name, ctx),
  }),
  jobByNumber: t.field({
    type: JobRef,
    description: 'A live job by its number (Job.number); CONFLICT in the rare case two jobs share it.',
    args: { number: t.arg.int({ required: true }) },
    resolve: (_root, { number }, ctx) => requireJobByNumber(number, ctx),
  }),
  jobs: t.connection(
    {
      type: JobRef,
      description: 'Jobs by name, paged.',
      args: {
        name: t.arg.string({ description: 'Only jobs whose name contains this (case-insensitive).' }),
        status: t.arg({ type: RunStatusEnum, description: 'Only jobs whose latest run has this status.' }),
        cluster: t.arg.string({ description: 'Only jobs of this cluster.' }),
      },
      resolve: async (_root, args, ctx) => {
        const limit = pageSize(args.first, 20);
        const after = decodeKeyCursor<string>(args.after, 'string');
        const filters: SQL[] = [sql`${jobs.deletedAt} is null`];
        if (args.name && args.name.length > 200) {
          throw new BadInputError('name: a search is at most 200 characters', { path: 'name' });
        }
        if (args.cluster) checkName(args.cluster, 'cluster');
        if (args.name) filters.push(ilike(jobs.name, `%${args.name.replace(/[\\%_]/g, '\\$&')}%`));
        if (args.cluster) {
          filters.push(
            sql`${jobs.clusterId} = (select ${clusters.id} from ${clusters} where ${clusters.name} = ${args.cluster})`,
          );
        }
        if (args.status) {
          filters.push(
            sql`(select ${runs.status} from ${runs} where ${runs.jobId} = ${jobs.id} order by ${runs.num} desc limit 1) = ${args.status}`,
          );
        }
        const [rows, [total]] = await Promise.all([
          ctx.database.db
            .select()
            .from(jobs)
            .where(and(...filters, after === undefined ? undefined : gt(jobs.name, after)))
            .orderBy(asc(jobs.name))
            .limit(limit + 1),
          ctx.database.db
            .select({ n: count() })
            .from(jobs)
            .where(and(...filters)),
        ]);
        return {
          ...pageFromRows(rows, limit, (j) => encodeKeyCursor(j.name), after !== undefined),
          totalCount: Number(total?.n ?? 0),
        };
      },
    },
    {
      fields: (c) => ({
        totalCount: c.int({
          resolve: (parent) => (parent as { totalCount?: number }).totalCount ?? 0,
        }),
      }),
    },
  ),
}));
