// COMMAND and STEPS assignments: shell commands as child processes; stdout lines are INFO log
// lines, stderr lines ERROR, the exit code decides.
import { and, eq, inArray } from 'drizzle-orm';
import { subtasks } from '../../db/schema/index.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import { REOPENABLE_SUBTASK_STATUSES, StepState, SubtaskStatus } from '../../lib/status.ts';
import { runCommand, type CommandResult } from '../executors/run-command.ts';
import { runSteps } from '../executors/run-steps.ts';
import type { StepSpec } from '../executors/steps-plan.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { createSecretScrubber, sensitiveEnvValues } from '../logs/secret-scrubber.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import type { Database } from '../../db/client.ts';
import type { AssignmentContext } from './assignment-context.ts';
import { markSubtask } from './mark-running.ts';

export interface CommandRunOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  baseEnv: Record<string, string>;
  /** Fires on stop or cancel: the child gets SIGTERM, then SIGKILL after the grace. */
  signal: AbortSignal;
  /** How often a steps run looks for steps asked to stop one by one (cancelStep); default 200 ms. */
  pollMs?: number;
  /** Opens a command's sealed env values right before the child starts. */
  secrets: SecretBox;
}

/** What a COMMAND vertex's config holds (env values sealed until the node opens them). */
interface CommandConfig {
  command: string;
  timeoutSeconds?: number | null;
  env?: Record<string, string>;
  cwd?: string;
}

function describe(result: CommandResult, timeoutSeconds: number | null): string | undefined {
  if (result.error) return result.error;
  if (result.timedOut) return `timed out after ${timeoutSeconds} s (killed)`;
  if (result.exitCode !== 0)
    return result.exitCode === null ? `killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  return undefined;
}

async function runOne(
  ctx: AssignmentContext,
  opts: CommandRunOptions,
  vertexName: string,
  config: CommandConfig,
  signal: AbortSignal = opts.signal,
): Promise<{ result: CommandResult; failure?: string }> {
  const runId = ctx.run.id;
  // A secret the command prints (its env's password, token, key…) must not reach viewers of the log.
  const scrub = createSecretScrubber(sensitiveEnvValues(config.env));
  const log = (level: 'INFO' | 'ERROR', message: string) =>
    opts.logs.append(runId, level, scrub(message), { vertex: vertexName, subtaskIndex: 0 });
  log('INFO', `$ ${config.command}`);
  const result = await runCommand({
    command: config.command,
    baseEnv: opts.baseEnv,
    cwd: config.cwd,
    env: {
      ...(config.env ?? {}),
      JOBGATE_RUN_ID: runId,
      JOBGATE_JOB: ctx.job.name,
      JOBGATE_STEP: vertexName,
    },
    timeoutMs: config.timeoutSeconds ? config.timeoutSeconds * 1000 : undefined,
    signal,
    logger: opts.logger,
    onLine: (stream, line) => log(stream === 'stdout' ? 'INFO' : 'ERROR', line),
  });
  const failure = result.canceled ? undefined : describe(result, config.timeoutSeconds ?? null);
  log(
    failure ? 'ERROR' : 'INFO',
    `${vertexName}: ${failure ?? (result.canceled ? 'stopped' : 'exited with code 0')} (${result.durationMs} ms)`,
  );
  return { result, failure };
}

export async function runCommandAssignment(
  ctx: AssignmentContext,
  opts: CommandRunOptions,
): Promise<AssignmentOutcome> {
  const vertex = ctx.vertices[0]!;
  const { result, failure } = await runOne(
    ctx,
    opts,
    vertex.name,
    revealSecrets(vertex.config as unknown as CommandConfig, opts.secrets),
  );
  if (result.canceled) return { status: SubtaskStatus.CANCELED, exitCode: result.exitCode };
  if (failure)
    return {
      status: SubtaskStatus.FAILED,
      exitCode: result.exitCode,
      failure: { message: `command ${failure}`, vertex: vertex.name, subtaskIndex: 0 },
    };
  return { status: SubtaskStatus.FINISHED, exitCode: 0 };
}

export async function runStepsAssignment(
  ctx: AssignmentContext,
  opts: CommandRunOptions,
): Promise<AssignmentOutcome> {
  const names = new Map(ctx.vertices.map((v) => [v.id, v.name]));
  const steps: StepSpec[] = ctx.vertices.map((v) => ({
    name: v.name,
    command: (v.config as { command: string }).command,
    timeoutSeconds: (v.config as { timeoutSeconds?: number | null }).timeoutSeconds ?? undefined,
    dependsOn: ctx.edges.filter((e) => e.toVertexId === v.id).map((e) => names.get(e.fromVertexId)!),
  }));
  const subtaskOf = new Map(ctx.subtasks.map((s) => [names.get(s.vertexId)!, s]));
  // A new attempt (restart FAILED, a re-run of named steps) reopened exactly the steps to run under
  // the assignment's attempt number; the others keep the outcome of an earlier attempt.
  const only = steps
    .filter((s) => subtaskOf.get(s.name)?.attempt === ctx.assignment.attempt)
    .map((s) => s.name);
  const failures: string[] = [];
  const skips: Promise<void>[] = [];
  const killers = new Map<string, AbortController>();
  const watch = watchStepKills(opts, killers);
  const outcome = await runSteps({
    steps,
    only,
    signal: opts.signal,
    logger: opts.logger,
    runStep: async (step) => {
      const subtask = subtaskOf.get(step.name)!;
      const kill = new AbortController();
      killers.set(subtask.id, kill);
      await markSubtask(opts.database, subtask.id, SubtaskStatus.RUNNING);
      const signal = AbortSignal.any([opts.signal, kill.signal]);
      const { result, failure: failed } = await runOne(ctx, opts, step.name, step, signal).finally(() =>
        killers.delete(subtask.id),
      );
      // A step killed on its own (cancelStep) failed; the run's cancel is not the step's failure.
      const killed = kill.signal.aborted && !opts.signal.aborted;
      const failure = killed ? 'killed on request' : failed;
      if (failure) failures.push(`step ${step.name} ${failure}`);
      await markSubtask(
        opts.database,
        subtask.id,
        result.canceled ? SubtaskStatus.CANCELED : failure ? SubtaskStatus.FAILED : SubtaskStatus.FINISHED,
        {
          exitCode: result.exitCode,
          failure,
        },
      );
      return failure || result.canceled ? StepState.FAILED : StepState.FINISHED;
    },
    onStateChange: (name, state) => {
      if (state === StepState.SKIPPED) {
        opts.logs.append(ctx.run.id, 'WARN', `step ${name} skipped: a step it depends on did not finish`, {
          vertex: name,
          subtaskIndex: 0,
        });
        skips.push(
          markSubtask(opts.database, subtaskOf.get(name)!.id, SubtaskStatus.CANCELED, {
            failure: 'skipped: a dependency failed',
          }),
        );
      }
    },
  });
  watch.stop();
  await Promise.all(skips);
  if (outcome.canceled) return { status: SubtaskStatus.CANCELED };
  const failedStep = Object.entries(outcome.states).find(([, s]) => s === StepState.FAILED);
  // A re-run of named steps leaves the others as they ended: one that had not finished still fails
  // the run (restart FAILED then picks it up).
  const unfinished = steps.find(
    (s) =>
      !only.includes(s.name) &&
      (REOPENABLE_SUBTASK_STATUSES as readonly string[]).includes(subtaskOf.get(s.name)?.status ?? ''),
  );
  if (!failedStep && unfinished) {
    return {
      status: SubtaskStatus.FAILED,
      failure: {
        message: `step ${unfinished.name} did not finish in an earlier attempt`,
        vertex: unfinished.name,
        subtaskIndex: 0,
      },
    };
  }
  if (failedStep) {
    return {
      status: SubtaskStatus.FAILED,
      failure: {
        message: failures[0] ?? `step ${failedStep[0]} failed`,
        vertex: failedStep[0],
        subtaskIndex: 0,
      },
    };
  }
  return { status: SubtaskStatus.FINISHED };
}

/** Looks every `pollMs` for running steps of this assignment asked to stop one by one (their
 * subtask CANCELING) and aborts their child process. */
function watchStepKills(opts: CommandRunOptions, killers: ReadonlyMap<string, AbortController>) {
  let busy = false;
  const look = async () => {
    if (busy || killers.size === 0) return;
    busy = true;
    try {
      const rows = await opts.database.db
        .select({ id: subtasks.id })
        .from(subtasks)
        .where(and(inArray(subtasks.id, [...killers.keys()]), eq(subtasks.status, SubtaskStatus.CANCELING)));
      for (const row of rows) killers.get(row.id)?.abort();
    } catch (err) {
      opts.logger.warn({ err }, 'could not look for steps to kill');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void look(), opts.pollMs ?? 200);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
