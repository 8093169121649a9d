import {
  createJob,
  deleteJob,
  updateJob,
  type JobActor,
  type JobSettingsInput,
} from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { ConcurrencyEnum, JobModeEnum } from './enums.ts';
import { JobRef } from './refs.ts';

const CommandInput = builder.inputType('CommandInput', {
  description: 'A single shell step.',
  fields: (t) => ({
    command: t.string({ required: true, description: 'Run with /bin/sh -c.' }),
    timeoutSeconds: t.int({ description: 'Killed (SIGTERM, then SIGKILL) after this long.' }),
    env: t.field({
      type: 'JSON',
      description:
        'Variables for the process ({ NAME: "value" }); values are stored encrypted and never shown.',
    }),
    cwd: t.string({ description: 'Working directory of the process.' }),
  }),
});

const HttpRequestInput = builder.inputType('HttpRequestInput', {
  description:
    'One HTTP request sent from a node (admins only: it may reach any address). The run succeeds when the response status is expectCode (any 2xx without one); the response body is the run log.',
  fields: (t) => ({
    method: t.string({ description: 'Default GET.' }),
    url: t.string({ required: true, description: 'An http or https URL.' }),
    headers: t.field({
      type: 'JSON',
      description: 'Request headers ({ Name: "value" }); values are stored encrypted and never shown.',
    }),
    body: t.string(),
    expectCode: t.int({ description: 'The status that means success.' }),
    timeoutSeconds: t.int({
      description:
        'The whole request (answer and body) is aborted after this long: default 30, at most 3600.',
    }),
  }),
});

const StepInput = builder.inputType('StepInput', {
  description: 'One named shell command of a steps DAG.',
  fields: (t) => ({
    name: t.string({ required: true }),
    command: t.string({ required: true }),
    dependsOn: t.stringList({ description: 'Steps that must finish first.' }),
    timeoutSeconds: t.int(),
  }),
});

const CreateJobInput = builder.inputType('CreateJobInput', {
  description: 'Exactly one of pipeline, command, steps, http or replication.',
  fields: (t) => ({
    name: t.string({ required: true }),
    cluster: t.string({ description: 'Default: default.' }),
    mode: t.field({ type: JobModeEnum, description: 'Default: env job.mode of a pipeline, else BATCH.' }),
    schedule: t.string({ description: 'Cron (5 or 6 fields), @every <duration>, @at <time>, @manually.' }),
    timezone: t.string({ description: 'IANA time zone of the cron schedule.' }),
    parallelism: t.int(),
    checkpointIntervalMs: t.int(),
    retries: t.int({ description: 'Times a failed scheduled run is retried.' }),
    concurrency: t.field({ type: ConcurrencyEnum }),
    parentJob: t.string({ description: 'Start this job when the parent succeeds.' }),
    tags: t.field({ type: 'JSON', description: 'An object of string values.' }),
    metadata: t.field({ type: 'JSON', description: 'An object of string values.' }),
    disabled: t.boolean(),
    restartStrategy: t.field({
      type: 'JSON',
      description: '{ type: none|fixed-delay|exponential-delay, attempts, delayMs, maxDelayMs }',
    }),
    pipeline: t.field({
      type: 'JSON',
      description: 'SeaTunnel-style { env, source[], transform[], sink[] }.',
    }),
    command: t.field({ type: CommandInput }),
    steps: t.field({ type: [StepInput] }),
    http: t.field({ type: HttpRequestInput }),
    replication: t.field({
      type: 'JSON',
      description:
        'A replication { source, destination, tables?, ignore?, rename?, position? }: a full copy of the tables, then their changes (binlog / pgoutput).',
    }),
  }),
});

const UpdateJobInput = builder.inputType('UpdateJobInput', {
  description:
    'Settings to change; a new pipeline, command, steps or replication makes a new version (running runs keep theirs).',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The job to change.' }),
    mode: t.field({ type: JobModeEnum }),
    schedule: t.string(),
    timezone: t.string(),
    parallelism: t.int(),
    checkpointIntervalMs: t.int(),
    retries: t.int(),
    concurrency: t.field({ type: ConcurrencyEnum }),
    parentJob: t.string(),
    tags: t.field({ type: 'JSON' }),
    metadata: t.field({ type: 'JSON' }),
    disabled: t.boolean(),
    restartStrategy: t.field({ type: 'JSON' }),
    pipeline: t.field({ type: 'JSON' }),
    command: t.field({ type: CommandInput }),
    steps: t.field({ type: [StepInput] }),
    http: t.field({ type: HttpRequestInput }),
    replication: t.field({ type: 'JSON' }),
  }),
});

const JobPayload = builder.objectRef<{ job: Awaited<ReturnType<typeof createJob>> }>('JobPayload').implement({
  fields: (t) => ({ job: t.field({ type: JobRef, resolve: (p) => p.job }) }),
});

/** The caller as the runtime's job rules see it (shell jobs are admin-only; commands may be off). */
function actorOf(ctx: GraphQLContext): JobActor {
  const viewer = requireRole(ctx, 'operator');
  return { name: viewer.name, role: viewer.role, commandsEnabled: ctx.settings.commandsEnabled };
}

builder.mutationFields((t) => ({
  createJob: t.field({
    type: JobPayload,
    args: { input: t.arg({ type: CreateJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      return {
        job: await createJob(ctx.database, input as JobSettingsInput, actorOf(ctx), {
          secrets: ctx.secrets,
          files: ctx.settings.files,
        }),
      };
    },
  }),
  updateJob: t.field({
    type: JobPayload,
    args: { input: t.arg({ type: UpdateJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      return {
        job: await updateJob(ctx.database, input.name, input as Partial<JobSettingsInput>, actorOf(ctx), {
          secrets: ctx.secrets,
          files: ctx.settings.files,
        }),
      };
    },
  }),
  deleteJob: t.field({
    type: JobPayload,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      return { job: await deleteJob(ctx.database, name, actorOf(ctx), { secrets: ctx.secrets }) };
    },
  }),
}));
