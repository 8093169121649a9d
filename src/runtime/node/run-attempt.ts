// One attempt of a claimed assignment, from loading what it runs to its outcome: a shell command,
// a DAG of shell steps, an HTTP request, or a pipeline.
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import { loadAssignmentContext } from './assignment-context.ts';
import type { ExecutorOptions } from './executor-options.ts';
import { isShellKind } from '../jobs/job-actor.ts';
import { markAssignmentRunning } from './mark-running.ts';
import { runCommandAssignment, runStepsAssignment } from './run-command-assignment.ts';
import { runHttpAssignment } from './run-http-assignment.ts';
import { runPipelineAttempt } from './run-pipeline-attempt.ts';
import { runReplicationAttempt } from './run-replication-attempt.ts';
import type { RunningAssignment } from './running-assignment.ts';

/** Runs one attempt to its outcome (undefined: the assignment is gone). Never rejects. */
export async function runAttempt(
  options: ExecutorOptions,
  log: Logger,
  entry: RunningAssignment,
): Promise<AssignmentOutcome | undefined> {
  const { database, logs } = options;
  try {
    const ctx = await loadAssignmentContext(database, entry.assignmentId);
    if (!ctx) return undefined;
    await markAssignmentRunning(database, entry.assignmentId, ctx.run.id, {
      subtasks: ctx.version.kind !== 'STEPS',
    });
    const commandOpts = {
      database,
      logger: log,
      logs,
      baseEnv: options.commandEnv,
      signal: entry.cancel.signal,
      pollMs: options.pollMs ?? 200,
      secrets: options.secrets,
    };
    // A graceful stop of a shell command is a SIGTERM, same as a cancel.
    entry.stop.signal.addEventListener('abort', () => entry.cancel.abort(), { once: true });
    if (isShellKind(ctx.version.kind) && !options.commandsEnabled) {
      return {
        status: SubtaskStatus.FAILED,
        failure: { message: 'shell commands are disabled on this node (--no-commands)' },
      };
    }
    if (ctx.version.kind === 'COMMAND') return await runCommandAssignment(ctx, commandOpts);
    if (ctx.version.kind === 'STEPS') return await runStepsAssignment(ctx, commandOpts);
    if (ctx.version.kind === 'HTTP') return await runHttpAssignment(ctx, commandOpts);
    if (ctx.version.kind === 'REPLICATION') return await runReplicationAttempt(options, log, entry, ctx);
    return await runPipelineAttempt(options, log, entry, ctx);
  } catch (err) {
    const error = coerceError(err);
    log.error({ err: error, assignmentId: entry.assignmentId }, 'assignment crashed');
    return { status: SubtaskStatus.FAILED, failure: { message: error.message, stack: error.stack } };
  }
}
