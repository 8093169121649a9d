/**
 * Job definitions: what a client submits (a SeaTunnel-style pipeline, one command, or steps),
 * validated and normalized into the vertices and edges jobgate stores. Every problem is a
 * BadInputError whose path names the offending place, e.g. `pipeline.source[0].row.num`; nothing is
 * stored unless the whole definition is valid.
 */
import { BadInputError } from '../../lib/errors.ts';
import type { JobKind, JobMode, VertexKind } from '../../lib/status.ts';
import { validateSteps, type StepSpec } from '../executors/steps-plan.ts';
import { readInt, readString, type Options } from '../plugins/options.ts';
import { findSink, findSource, findTransform, PluginConfigError } from '../plugins/index.ts';

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

export interface DefinitionInput {
  pipeline?: unknown;
  command?: { command: string; timeoutSeconds?: number | null; env?: unknown } | null;
  steps?:
    | readonly {
        name: string;
        command: string;
        dependsOn?: readonly string[] | null;
        timeoutSeconds?: number | null;
      }[]
    | null;
  mode?: JobMode | null;
  parallelism?: number | null;
  checkpointIntervalMs?: number | null;
}

export const MAX_PARALLELISM = 256;
const MAX_VERTICES = 100;
const MAX_COMMAND_LENGTH = 65_536;

const fail = (path: string, message: string): never => {
  throw new BadInputError(`${path}: ${message}`, { path });
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function normalizeDefinition(input: DefinitionInput, base = 'input'): NormalizedDefinition {
  const given = (['pipeline', 'command', 'steps'] as const).filter(
    (k) => input[k] !== undefined && input[k] !== null,
  );
  if (given.length !== 1) {
    fail(
      base,
      `exactly one of pipeline, command or steps must be given${given.length ? ` (got ${given.join(' and ')})` : ''}`,
    );
  }
  const parallelism = input.parallelism ?? null;
  if (
    parallelism !== null &&
    (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM)
  ) {
    fail(`${base}.parallelism`, `must be an integer from 1 to ${MAX_PARALLELISM}`);
  }
  const interval = input.checkpointIntervalMs ?? null;
  if (interval !== null && (!Number.isInteger(interval) || interval < 100 || interval > 86_400_000)) {
    fail(`${base}.checkpointIntervalMs`, 'must be an integer from 100 to 86400000 (milliseconds)');
  }
  if (input.pipeline !== undefined && input.pipeline !== null)
    return normalizePipeline(input, `${base}.pipeline`);
  // A shell job runs as one process: settings it cannot honour are refused, not ignored.
  if (parallelism !== null && parallelism !== 1)
    fail(`${base}.parallelism`, 'a job that runs shell commands runs once (parallelism 1)');
  if (interval !== null)
    fail(`${base}.checkpointIntervalMs`, 'a job that runs shell commands has no checkpoints');
  if (input.steps && input.mode === 'STREAMING') fail(`${base}.mode`, 'a steps job is BATCH');
  if (input.command) return normalizeCommand(input, `${base}.command`);
  return normalizeSteps(input, `${base}.steps`);
}

function checkCommandText(command: unknown, path: string): string {
  if (typeof command !== 'string' || command.trim() === '') fail(path, 'must be a non-empty shell command');
  if ((command as string).length > MAX_COMMAND_LENGTH)
    fail(path, `must be at most ${MAX_COMMAND_LENGTH} characters`);
  return command as string;
}

function checkTimeout(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 604_800) {
    fail(path, 'must be a whole number of seconds from 1 to 604800');
  }
  return value as number;
}

function normalizeCommand(input: DefinitionInput, path: string): NormalizedDefinition {
  const spec = input.command!;
  const command = checkCommandText(spec.command, `${path}.command`);
  const timeoutSeconds = checkTimeout(spec.timeoutSeconds, `${path}.timeoutSeconds`);
  return {
    kind: 'COMMAND',
    mode: input.mode ?? 'BATCH',
    parallelism: 1,
    checkpointIntervalMs: null,
    vertices: [
      {
        name: 'command',
        kind: 'COMMAND',
        plugin: null,
        config: { command, timeoutSeconds },
        parallelism: 1,
        inputs: [],
      },
    ],
    document: { command: { command, timeoutSeconds } },
  };
}

function normalizeSteps(input: DefinitionInput, path: string): NormalizedDefinition {
  const steps = input.steps!;
  if (steps.length > MAX_VERTICES) fail(path, `must have at most ${MAX_VERTICES} steps`);
  const specs: StepSpec[] = steps.map((s) => ({
    name: s.name,
    command: s.command,
    dependsOn: s.dependsOn ?? [],
    timeoutSeconds: s.timeoutSeconds ?? undefined,
  }));
  const problems = validateSteps(specs, path);
  if (problems.length > 0) {
    const [first] = problems;
    throw new BadInputError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
      path: first!.path,
      details: { problems },
    });
  }
  specs.forEach((s, i) => {
    checkCommandText(s.command, `${path}[${i}].command`);
    checkTimeout(s.timeoutSeconds, `${path}[${i}].timeoutSeconds`);
  });
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
      inputs: [...(s.dependsOn ?? [])],
    })),
    document: { steps: specs },
  };
}

type Stage = 'source' | 'transform' | 'sink';
const STAGE_KIND: Record<Stage, VertexKind> = { source: 'SOURCE', transform: 'TRANSFORM', sink: 'SINK' };

/** SeaTunnel names a block's output table with plugin_output (older: result_table_name) and its
 * input with plugin_input (older: source_table_name). */
function tableNames(block: Options, key: 'output' | 'input', path: string): string[] {
  const spellings =
    key === 'output' ? ['plugin_output', 'result_table_name'] : ['plugin_input', 'source_table_name'];
  for (const spelling of spellings) {
    const value = block[spelling];
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
      fail(`${path}.${spelling}`, 'must be a table name or a list of table names');
    }
    return list as string[];
  }
  return [];
}

function normalizePipeline(input: DefinitionInput, path: string): NormalizedDefinition {
  const doc = input.pipeline;
  if (!isObject(doc)) return fail(path, 'must be an object with env, source, transform and sink');
  const env = doc.env ?? {};
  if (!isObject(env)) fail(`${path}.env`, 'must be an object');
  const unknownTop = Object.keys(doc).filter((k) => !['env', 'source', 'transform', 'sink'].includes(k));
  if (unknownTop.length)
    fail(`${path}.${unknownTop[0]}`, 'is not a pipeline section (env, source, transform, sink)');
  const envOptions = env as Options;
  const modeText = readString(envOptions, 'job.mode')?.toUpperCase();
  if (modeText !== undefined && modeText !== 'BATCH' && modeText !== 'STREAMING') {
    fail(`${path}.env.job.mode`, 'must be BATCH or STREAMING');
  }
  const mode: JobMode = input.mode ?? (modeText as JobMode | undefined) ?? 'BATCH';
  const envInt = (key: string, bounds: { min: number; max: number }) => {
    try {
      return readInt(envOptions, key, bounds);
    } catch (err) {
      return fail(`${path}.env.${key}`, (err as PluginConfigError).message.replace(`${key}: `, ''));
    }
  };
  const parallelism = input.parallelism ?? envInt('parallelism', { min: 1, max: MAX_PARALLELISM }) ?? 1;
  const checkpointIntervalMs =
    input.checkpointIntervalMs ?? envInt('checkpoint.interval', { min: 100, max: 86_400_000 }) ?? null;

  const vertices: VertexSpec[] = [];
  const producers = new Map<string, string>(); // table name -> vertex name
  const stages: Stage[] = ['source', 'transform', 'sink'];
  const blocksOf = (stage: Stage): Options[] => {
    const list = doc[stage] ?? [];
    if (!Array.isArray(list)) return fail(`${path}.${stage}`, 'must be a list of plugin blocks');
    return list as Options[];
  };
  if (blocksOf('source').length === 0) fail(`${path}.source`, 'must have at least one source');
  if (blocksOf('sink').length === 0) fail(`${path}.sink`, 'must have at least one sink');

  let previous: string | undefined;
  for (const stage of stages) {
    blocksOf(stage).forEach((block, i) => {
      const at = `${path}.${stage}[${i}]`;
      if (!isObject(block)) fail(at, 'must be an object with plugin_name');
      const pluginName = block.plugin_name;
      if (typeof pluginName !== 'string' || pluginName === '') fail(`${at}.plugin_name`, 'is required');
      const plugin =
        stage === 'source'
          ? findSource(pluginName as string)
          : stage === 'transform'
            ? findTransform(pluginName as string)
            : findSink(pluginName as string);
      if (!plugin) fail(`${at}.plugin_name`, `unknown ${stage} plugin ${JSON.stringify(pluginName)}`);
      const options = Object.fromEntries(
        Object.entries(block).filter(
          ([k]) =>
            ![
              'plugin_name',
              'plugin_output',
              'plugin_input',
              'result_table_name',
              'source_table_name',
              'parallelism',
            ].includes(k),
        ),
      );
      try {
        plugin!.validate(options);
      } catch (err) {
        if (err instanceof PluginConfigError)
          fail(`${at}.${err.path}`, err.message.slice(err.path.length + 2));
        throw err;
      }
      const outputs = stage === 'sink' ? [] : tableNames(block, 'output', at);
      const inputs = stage === 'source' ? [] : tableNames(block, 'input', at);
      const name = outputs[0] ?? `${stage}-${i}`;
      if (vertices.some((v) => v.name === name))
        fail(`${at}.plugin_output`, `the table name ${JSON.stringify(name)} is used twice`);
      let inputVertices: string[];
      if (stage === 'source') inputVertices = [];
      else if (inputs.length > 0) {
        inputVertices = inputs.map((table, k) => {
          const producer = producers.get(table);
          if (!producer)
            fail(
              `${at}.plugin_input${inputs.length > 1 ? `[${k}]` : ''}`,
              `no source or transform outputs the table ${JSON.stringify(table)}`,
            );
          return producer!;
        });
      } else {
        // No names: SeaTunnel chains blocks in the order they are written.
        inputVertices = stage === 'sink' && previous === undefined ? [] : [previous!];
      }
      if (inputVertices.length > 1) {
        fail(
          `${at}.plugin_input`,
          'reads more than one table; jobgate runs each chain in one place and does not merge streams',
        );
      }
      const blockParallelism = block.parallelism ?? parallelism;
      if (
        !Number.isInteger(blockParallelism) ||
        (blockParallelism as number) < 1 ||
        (blockParallelism as number) > MAX_PARALLELISM
      ) {
        fail(`${at}.parallelism`, `must be an integer from 1 to ${MAX_PARALLELISM}`);
      }
      if (blockParallelism !== parallelism) {
        fail(
          `${at}.parallelism`,
          `must equal the job's parallelism (${parallelism}): a chain runs as one subtask per split`,
        );
      }
      vertices.push({
        name,
        kind: STAGE_KIND[stage],
        plugin: plugin!.name,
        config: options,
        parallelism,
        inputs: inputVertices,
      });
      for (const table of outputs) producers.set(table, name);
      if (stage !== 'sink') previous = name;
      if (vertices.length > MAX_VERTICES) fail(path, `must have at most ${MAX_VERTICES} plugin blocks`);
    });
  }
  return { kind: 'PIPELINE', mode, parallelism, checkpointIntervalMs, vertices, document: doc };
}
