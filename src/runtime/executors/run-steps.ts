// Drives a `steps` DAG: starts whatever is runnable, skips what a failure has made unrunnable, and
// settles when nothing is running and nothing more can start. How a step runs is the caller's
// `runStep` (normally runCommand), so this file holds only the scheduling.
import type { Logger } from '../../lib/logger.ts';
import { BadInputError } from '../../lib/errors.ts';
import { StepState, type StepOutcome } from '../../lib/status.ts';
import { assertValidSteps, runnableSteps, stepsToSkip, type StepSpec } from './steps-plan.ts';

export type { StepOutcome };

export interface RunStepsOptions {
  steps: readonly StepSpec[];
  /**
   * Run only these steps (a "restart FAILED"): every other step counts as already FINISHED, so the
   * listed ones start as soon as their dependencies among the listed ones allow.
   */
  only?: readonly string[];
  /** Runs one step; a rejection counts as FAILED. */
  runStep: (step: StepSpec) => Promise<StepOutcome>;
  /** Most steps running at once; default unlimited. */
  maxParallel?: number;
  /** Once aborted no further step starts; running ones are awaited (pass the signal on to stop them). */
  signal?: AbortSignal;
  /** Every state change, in order, e.g. to persist it; exceptions are logged and ignored. */
  onStateChange?: (name: string, state: StepState) => void;
  logger?: Logger;
}

export interface RunStepsResult {
  /** The final state of every step; steps never started because of an abort stay PENDING. */
  states: Record<string, StepState>;
  /** Whether the signal fired before every step had settled. */
  canceled: boolean;
}

export async function runSteps(options: RunStepsOptions): Promise<RunStepsResult> {
  const { steps, signal, logger } = options;
  assertValidSteps(steps);
  const maxParallel = options.maxParallel ?? Infinity;
  if (!(maxParallel >= 1)) throw new BadInputError(`maxParallel must be at least 1, got ${maxParallel}`);
  const known = new Set(steps.map((s) => s.name));
  const only = options.only === undefined ? undefined : new Set(options.only);
  for (const name of only ?? []) {
    if (!known.has(name)) throw new BadInputError(`cannot re-run unknown step ${JSON.stringify(name)}`);
  }

  const byName = new Map(steps.map((s) => [s.name, s]));
  const states: Record<string, StepState> = {};
  for (const s of steps) states[s.name] = only && !only.has(s.name) ? StepState.FINISHED : StepState.PENDING;

  const setState = (name: string, state: StepState) => {
    states[name] = state;
    logger?.debug({ step: name, state }, 'step:status');
    try {
      options.onStateChange?.(name, state);
    } catch (err) {
      logger?.error({ err, step: name }, 'step:state-listener-failed');
    }
  };

  return new Promise<RunStepsResult>((resolve) => {
    let running = 0;
    let canceled = false;
    let settled = false;

    const runOne = async (step: StepSpec) => {
      let outcome: StepOutcome;
      // Yield first, so a runStep that throws synchronously cannot re-enter pump() mid-loop.
      await Promise.resolve();
      try {
        outcome = await options.runStep(step);
      } catch (err) {
        logger?.error({ err, step: step.name }, 'step:run-failed');
        outcome = StepState.FAILED;
      }
      running--;
      setState(step.name, outcome);
      pump();
    };

    // Called at start, after each step settles and on abort; the only place steps start or skip.
    const pump = () => {
      if (settled) return;
      for (const name of stepsToSkip(steps, states)) setState(name, StepState.SKIPPED);
      if (!canceled) {
        for (const name of runnableSteps(steps, states)) {
          if (running >= maxParallel) break;
          running++;
          setState(name, StepState.RUNNING);
          void runOne(byName.get(name) as StepSpec);
        }
      }
      if (running === 0) {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve({ states: { ...states }, canceled });
      }
    };
    const onAbort = () => {
      if (settled) return;
      canceled = true;
      logger?.info({ running }, 'steps:canceled');
      pump();
    };

    if (signal?.aborted) canceled = true;
    else signal?.addEventListener('abort', onAbort, { once: true });
    pump();
  });
}
