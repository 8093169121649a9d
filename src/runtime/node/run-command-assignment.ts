// COMMAND and STEPS assignments: shell commands as child processes; stdout lines are INFO log
// lines, stderr lines ERROR, the exit code decides.
import type { Logger } from '../../lib/logger.ts';
import { StepState, SubtaskStatus } from '../../lib/status.ts';
import { runCommand, type CommandResult } from '../executors/run-command.ts';
import { runSteps } from '../executors/run-steps.ts';
import type { StepSpec } from '../executors/steps-plan.ts';
import type { LogAppender } from '../logs/log-appender.ts';
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
  config: { command: string; timeoutSeconds?: number | null },
): Promise<{ result: CommandResult; failure?: string }> {
  const runId = ctx.run.id;
  opts.logs.append(runId, 'INFO', `$ ${config.command}`, { vertex: vertexName, subtaskIndex: 0 });
  const result = await runCommand({
    command: config.command,
    baseEnv: opts.baseEnv,
    env: { JOBGATE_RUN_ID: runId, JOBGATE_JOB: ctx.job.name, JOBGATE_STEP: vertexName },
    timeoutMs: config.timeoutSeconds ? config.timeoutSeconds * 1000 : undefined,
    signal: opts.signal,
    logger: opts.logger,
    onLine: (stream, line) =>
      opts.logs.append(runId, stream === 'stdout' ? 'INFO' : 'ERROR', line, {
        vertex: vertexName,
        subtaskIndex: 0,
      }),
  });
  const failure = result.canceled ? undefined : describe(result, config.timeoutSeconds ?? null);
  opts.logs.append(
    runId,
    failure ? 'ERROR' : 'INFO',
    `${vertexName}: ${failure ?? (result.canceled ? 'stopped' : 'exited with code 0')} (${result.durationMs} ms)`,
    {
      vertex: vertexName,
      subtaskIndex: 0,
    },
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
    vertex.config as { command: string; timeoutSeconds?: number },
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
  // Restart FAILED: steps that finished in an earlier attempt are not run again.
  const only = steps
    .filter((s) => subtaskOf.get(s.name)?.status !== SubtaskStatus.FINISHED)
    .map((s) => s.name);
  const failures: string[] = [];
  const skips: Promise<void>[] = [];
  const outcome = await runSteps({
    steps,
    only,
    signal: opts.signal,
    logger: opts.logger,
    runStep: async (step) => {
      const subtask = subtaskOf.get(step.name)!;
      await markSubtask(opts.database, subtask.id, SubtaskStatus.RUNNING);
      const { result, failure } = await runOne(ctx, opts, step.name, step);
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
  await Promise.all(skips);
  if (outcome.canceled) return { status: SubtaskStatus.CANCELED };
  const failedStep = Object.entries(outcome.states).find(([, s]) => s === StepState.FAILED);
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
