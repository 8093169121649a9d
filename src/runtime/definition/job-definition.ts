/**
 * Job definitions: what a client submits (a SeaTunnel-style pipeline, one command, or steps),
 * validated and normalized into the vertices and edges jobgate stores. The zod schemas below are the
 * one description of a definition: its input type, its limits and its messages. Every problem is a
 * BadInputError whose path names the offending place, e.g. `input.pipeline.source[0].row.num`;
 * nothing is stored unless the whole definition is valid.
 */
import { z } from 'zod';
import { boundedInt, parseInput } from '../../lib/parse-input.ts';
import { JOB_MODES, type JobKind, type JobMode, type VertexKind } from '../../lib/status.ts';
import { validateSteps } from '../executors/steps-plan.ts';
import { optionValue, type Options } from '../plugins/options.ts';
import { findSink, findSource, findTransform, PluginConfigError } from '../plugins/index.ts';
import { normalizeReplication, replicationSchema } from '../replication/replication-spec.ts';

export interface VertexSpec {
  name: string;
  kind: VertexKind;
  plugin: string | null;
  config: Record<string, unknown>;
  parallelism: number;
  /** Names of the vertices feeding this one. */
  inputs: string[];
}

export interface NormalizedDefinition {
  kind: JobKind;
  mode: JobMode;
  parallelism: number;
  checkpointIntervalMs: number | null;
  vertices: VertexSpec[];
  /** The definition as stored and shown back (the client's document). */
  document: Record<string, unknown>;
}

export const MAX_PARALLELISM = 256;
const MAX_VERTICES = 100;
const MAX_COMMAND_LENGTH = 65_536;

const parallelismSchema = boundedInt(1, MAX_PARALLELISM);
const intervalSchema = boundedInt(100, 86_400_000, 'must be an integer from 100 to 86400000 (milliseconds)');
const timeoutSchema = boundedInt(1, 604_800, 'must be a whole number of seconds from 1 to 604800');
const commandText = z
  .string({ error: 'must be a non-empty shell command' })
  .max(MAX_COMMAND_LENGTH, `must be at most ${MAX_COMMAND_LENGTH} characters`)
  .refine((text) => text.trim() !== '', 'must be a non-empty shell command');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,199}$/;
/** Variables for the command's process: names as a shell takes them, values sealed when stored. */
const commandEnvSchema = z
  .record(z.string().regex(ENV_NAME, 'must be a variable name (letters, digits, _)'), z.string().max(8192), {
    error: 'must be an object of string values',
  })
  .refine((env) => Object.keys(env).length <= 100, 'must have at most 100 variables');

const commandSchema = z.object({
  command: commandText,
  timeoutSeconds: timeoutSchema.nullish(),
  env: commandEnvSchema.nullish(),
  cwd: z.string().min(1).max(4096).nullish(),
});

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$/;

/** One HTTP request (Dkron's http executor): the response's status decides, its body is the log. */
const httpSchema = z.object({
  method: z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : (v ?? 'GET')),
    z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }),
  ),
  url: z
    .string({ error: 'must be an http or https URL' })
    .max(8192)
    .refine((text) => {
      try {
        return ['http:', 'https:'].includes(new URL(text).protocol);
      } catch {
        return false;
      }
    }, 'must be an http or https URL'),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, 'must be a header name'),
      z
        .string()
        .max(8192)
        .regex(/^[^\r\n]*$/, 'must be one line'),
      {
        error: 'must be an object of header values',
      },
    )
    .refine((h) => Object.keys(h).length <= 100, 'must have at most 100 headers')
    .nullish(),
  body: z.string().max(1_048_576, 'must be at most 1 MiB').nullish(),
  expectCode: boundedInt(100, 599, 'must be an HTTP status code (100-599)').nullish(),
  timeoutSeconds: timeoutSchema.nullish(),
});

const stepSchema = z.object({
  name: z.string({ error: 'must be a step name' }),
  command: commandText,
  dependsOn: z.array(z.string()).max(MAX_VERTICES).nullish(),
  timeoutSeconds: timeoutSchema.nullish(),
});

/** Steps form a DAG; the planner's own rules (names, dependencies, cycles) decide that. */
const stepsSchema = z
  .array(stepSchema)
  .max(MAX_VERTICES, `must have at most ${MAX_VERTICES} steps`)
  .superRefine((steps, ctx) => {
    const specs = steps.map((s) => ({ ...s, dependsOn: s.dependsOn ?? [], timeoutSeconds: undefined }));
    for (const problem of validateSteps(specs, '')) {
      // The schema above has already checked each step's command and timeout.
      if (/\.(command|timeoutSeconds)$/.test(problem.path)) continue;
      ctx.addIssue({ code: 'custom', path: problem.path ? [problem.path] : [], message: problem.message });
    }
  });

/** SeaTunnel names a block's output table with plugin_output (older: result_table_name) and its
 * input with plugin_input (older: source_table_name). */
const tableNames = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'must be a table name or a list of table names',
});
const BLOCK_KEYS = [
  'plugin_name',
  'plugin_output',
  'plugin_input',
  'result_table_name',
  'source_table_name',
  'parallelism',
];

type Stage = 'source' | 'transform' | 'sink';
const STAGES: readonly Stage[] = ['source', 'transform', 'sink'];
const STAGE_KIND: Record<Stage, VertexKind> = { source: 'SOURCE', transform: 'TRANSFORM', sink: 'SINK' };
const FIND_PLUGIN = { source: findSource, transform: findTransform, sink: findSink };

/** One plugin block of a stage: a known plugin whose options its own parser accepts. */
function pluginBlock(stage: Stage) {
  return z
    .looseObject(
      {
        plugin_name: z.string({ error: 'is required' }).min(1, 'is required'),
        plugin_output: tableNames.nullish(),
        result_table_name: tableNames.nullish(),
        plugin_input: tableNames.nullish(),
        source_table_name: tableNames.nullish(),
        parallelism: parallelismSchema.nullish(),
      },
      { error: 'must be an object with plugin_name' },
    )
    .transform((block, ctx) => {
      const plugin = FIND_PLUGIN[stage](block.plugin_name);
      if (!plugin) {
        const message = `unknown ${stage} plugin ${JSON.stringify(block.plugin_name)}`;
        ctx.addIssue({ code: 'custom', path: ['plugin_name'], message });
        return z.NEVER;
      }
      const options = Object.fromEntries(Object.entries(block).filter(([k]) => !BLOCK_KEYS.includes(k)));
      try {
        plugin.validate(options);
      } catch (err) {
        if (!(err instanceof PluginConfigError)) throw err;
        const message = err.message.slice(err.path.length + 2);
        ctx.addIssue({ code: 'custom', path: [err.path], message });
        return z.NEVER;
      }
      const list = (value: string | string[] | null | undefined) =>
        value == null ? undefined : Array.isArray(value) ? value : [value];
      return {
        plugin: plugin.name,
        options,
        outputs: list(block.plugin_output) ?? list(block.result_table_name) ?? [],
        outputKey: block.plugin_output != null ? 'plugin_output' : 'result_table_name',
        inputs: list(block.plugin_input) ?? list(block.source_table_name) ?? [],
        parallelism: block.parallelism ?? null,
      };
    });
}
type PluginBlock = z.output<ReturnType<typeof pluginBlock>>;

/** HOCON numbers often arrive as strings ("4"); they mean the same. */
const hoconInt = (schema: z.ZodType<number>) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), schema);

/** The env settings jobgate reads, under their SeaTunnel keys (flat `job.mode` or nested). */
const envSchema = z
  .record(z.string(), z.unknown(), { error: 'must be an object' })
  .transform((env): Record<string, unknown> => ({
    'job.mode': optionValue(env, 'job.mode') ?? undefined,
    parallelism: optionValue(env, 'parallelism') ?? undefined,
    'checkpoint.interval': optionValue(env, 'checkpoint.interval') ?? undefined,
  }))
  .pipe(
    z.object({
      'job.mode': z
        .preprocess(
          (v) => (typeof v === 'string' ? v.toUpperCase() : v),
          z.enum(JOB_MODES, { error: 'must be BATCH or STREAMING' }),
        )
        .optional(),
      parallelism: hoconInt(parallelismSchema).optional(),
      'checkpoint.interval': hoconInt(intervalSchema).optional(),
    }),
  );

const blockList = (stage: Stage, least: string | null) => {
  const list = z
    .array(pluginBlock(stage), { error: 'must be a list of plugin blocks' })
    .max(MAX_VERTICES, `must have at most ${MAX_VERTICES} plugin blocks`);
  return z.preprocess((v) => v ?? [], least ? list.min(1, least) : list);
};

const pipelineShape = z
  .strictObject(
    {
      env: envSchema.nullish(),
      source: blockList('source', 'must have at least one source'),
      transform: blockList('transform', null),
      sink: blockList('sink', 'must have at least one sink'),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'is not a pipeline section (env, source, transform, sink)'
          : 'must be an object with env, source, transform and sink',
    },
  )
  .refine((p) => p.source.length + p.transform.length + p.sink.length <= MAX_VERTICES, {
    message: `must have at most ${MAX_VERTICES} plugin blocks`,
  });

/** The pipeline as parsed, with the client's own document kept to store and show back. */
const pipelineSchema = z.unknown().transform((raw, ctx) => {
  if (raw === undefined || raw === null) return undefined;
  const parsed = pipelineShape.safeParse(raw);
  if (parsed.success) return { ...parsed.data, document: raw as Record<string, unknown> };
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** The replication document as parsed, with the client's own document kept to store. */
const replicationField = z.unknown().transform((raw, ctx) => {
  if (raw === undefined || raw === null) return undefined;
  const parsed = replicationSchema.safeParse(raw);
  if (parsed.success) return { spec: parsed.data, document: raw as Record<string, unknown> };
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

const definitionFields = {
  pipeline: pipelineSchema.optional(),
  replication: replicationField.optional(),
  command: commandSchema.nullish(),
  steps: stepsSchema.nullish(),
  http: httpSchema.nullish(),
  mode: z.enum(JOB_MODES, { error: 'must be BATCH or STREAMING' }).nullish(),
  parallelism: parallelismSchema.nullish(),
  checkpointIntervalMs: intervalSchema.nullish(),
};

/** Rules across fields run once each field is valid on its own. */
const onlyWhenValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

type ParsedDefinition = z.output<z.ZodObject<typeof definitionFields>>;
type Ctx = z.RefinementCtx;

/** A definition as a client gives it (exactly one of pipeline, command, steps or replication). */
export const definitionSchema = z
  .object(definitionFields)
  .superRefine((input, ctx) => {
    const given = (['pipeline', 'command', 'steps', 'http', 'replication'] as const).filter(
      (k) => input[k] != null,
    );
    if (given.length !== 1) {
      const got = given.length ? ` (got ${given.join(' and ')})` : '';
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `exactly one of pipeline, command, steps, http or replication must be given${got}`,
      });
      return;
    }
    if (input.pipeline != null) return;
    if (input.replication != null) {
      // A replication runs as one chain that never ends on its own: it has no settings to pick.
      if (input.parallelism != null && input.parallelism !== 1)
        ctx.addIssue({
          code: 'custom',
          path: ['parallelism'],
          message: 'a replication runs once (parallelism 1)',
        });
      if (input.mode === 'BATCH')
        ctx.addIssue({ code: 'custom', path: ['mode'], message: 'a replication is STREAMING' });
      return;
    }
    // A shell job runs as one process: settings it cannot honour are refused, not ignored.
    if (input.parallelism != null && input.parallelism !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['parallelism'],
        message: 'a job that runs shell commands runs once (parallelism 1)',
      });
    if (input.checkpointIntervalMs != null)
      ctx.addIssue({
        code: 'custom',
        path: ['checkpointIntervalMs'],
        message: 'a job that runs shell commands has no checkpoints',
      });
    if (input.steps && input.mode === 'STREAMING')
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'a steps job is BATCH' });
  }, onlyWhenValid)
  .transform((input, ctx): NormalizedDefinition => {
    if (ctx.issues.length > 0) return z.NEVER; // the parts are not all valid: nothing to wire
    if (input.pipeline != null) return normalizePipeline(input, input.pipeline, ctx);
    if (input.replication != null) return normalizeReplication(input.replication.document);
    if (input.command) return normalizeCommand(input.command, input.mode ?? 'BATCH');
    if (input.http) return normalizeHttp(input.http);
    return normalizeSteps(input.steps!);
  });

export type DefinitionInput = z.input<typeof definitionSchema>;

/** The definition checked and normalized, or a BadInputError naming the place (under `base`). */
export function normalizeDefinition(input: DefinitionInput, base = 'input'): NormalizedDefinition {
  return parseInput(definitionSchema, input, base);
}

type Command = z.output<typeof commandSchema>;

function normalizeCommand(spec: Command, mode: JobMode): NormalizedDefinition {
  const config: Record<string, unknown> = {
    command: spec.command,
    timeoutSeconds: spec.timeoutSeconds ?? null,
  };
  if (spec.env && Object.keys(spec.env).length > 0) config.env = spec.env;
  if (spec.cwd) config.cwd = spec.cwd;
  return {
    kind: 'COMMAND',
    mode,
    parallelism: 1,
    checkpointIntervalMs: null,
    vertices: [{ name: 'command', kind: 'COMMAND', plugin: null, config, parallelism: 1, inputs: [] }],
    document: { command: config },
  };
}

function normalizeHttp(spec: z.output<typeof httpSchema>): NormalizedDefinition {
  const config: Record<string, unknown> = {
    method: spec.method,
    url: spec.url,
    headers: spec.headers ?? {},
    body: spec.body ?? null,
    expectCode: spec.expectCode ?? null,
    timeoutSeconds: spec.timeoutSeconds ?? null,
  };
  return {
    kind: 'HTTP',
    mode: 'BATCH',
    parallelism: 1,
    checkpointIntervalMs: null,
    vertices: [{ name: 'http', kind: 'HTTP', plugin: null, config, parallelism: 1, inputs: [] }],
    document: { http: config },
  };
}

function normalizeSteps(steps: z.output<typeof stepsSchema>): NormalizedDefinition {
  const specs = steps.map((s) => ({
    name: s.name,
    command: s.command,
    dependsOn: s.dependsOn ?? [],
    timeoutSeconds: s.timeoutSeconds ?? undefined,
  }));
  return {
    kind: 'STEPS',
    mode: 'BATCH',
    parallelism: 1,
    checkpointIntervalMs: null,
    vertices: specs.map((s) => ({
      name: s.name,
      kind: 'COMMAND',
      plugin: null,
      config: { command: s.command, timeoutSeconds: s.timeoutSeconds ?? null },
      parallelism: 1,
      inputs: [...s.dependsOn],
    })),
    document: { steps: specs },
  };
}

/** Wires the blocks into chains by table name (or by their order, as SeaTunnel does). */
function normalizePipeline(
  input: ParsedDefinition,
  pipeline: NonNullable<z.output<typeof pipelineSchema>>,
  ctx: Ctx,
): NormalizedDefinition {
  const env = pipeline.env ?? {};
  const mode: JobMode = input.mode ?? env['job.mode'] ?? 'BATCH';
  const parallelism = input.parallelism ?? env.parallelism ?? 1;
  const checkpointIntervalMs = input.checkpointIntervalMs ?? env['checkpoint.interval'] ?? null;
  const vertices: VertexSpec[] = [];
  const producers = new Map<string, string>(); // table name -> vertex name
  let previous: string | undefined;
  const refuse = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['pipeline', ...path], message });
  for (const stage of STAGES) {
    pipeline[stage].forEach((block: PluginBlock, i) => {
      const at = [stage, i];
      const outputs = stage === 'sink' ? [] : block.outputs;
      const inputs = stage === 'source' ? [] : block.inputs;
      const name = outputs[0] ?? `${stage}-${i}`;
      if (vertices.some((v) => v.name === name))
        refuse([...at, block.outputKey], `the table name ${JSON.stringify(name)} is used twice`);
      let inputVertices: string[] = [];
      if (inputs.length > 0) {
        inputVertices = inputs.map((table, k) => {
          const producer = producers.get(table);
          if (!producer)
            refuse(
              [...at, 'plugin_input', ...(inputs.length > 1 ? [k] : [])],
              `no source or transform outputs the table ${JSON.stringify(table)}`,
            );
          return producer ?? table;
        });
      } else if (stage !== 'source' && previous !== undefined) {
        // No names: SeaTunnel chains blocks in the order they are written.
        inputVertices = [previous];
      }
      if (inputVertices.length > 1) {
        refuse(
          [...at, 'plugin_input'],
          'reads more than one table; jobgate runs each chain in one place and does not merge streams',
        );
      }
      if (block.parallelism !== null && block.parallelism !== parallelism) {
        refuse(
          [...at, 'parallelism'],
          `must equal the job's parallelism (${parallelism}): a chain runs as one subtask per split`,
        );
      }
      vertices.push({
        name,
        kind: STAGE_KIND[stage],
        plugin: block.plugin,
        config: block.options as Options,
        parallelism,
        inputs: inputVertices,
      });
      for (const table of outputs) producers.set(table, name);
      if (stage !== 'sink') previous = name;
    });
  }
  return { kind: 'PIPELINE', mode, parallelism, checkpointIntervalMs, vertices, document: pipeline.document };
}
