// Pure planning over a `steps` job: a DAG of named shell commands. Kept free of I/O so the rules
// (what is valid, what may run next, what is skipped) are decided in one place and tested directly.
import { BadInputError } from '../../lib/errors.ts';
import { StepState } from '../../lib/status.ts';

export interface StepSpec {
  /** 1-100 characters of [A-Za-z0-9_.-], unique within the job. */
  name: string;
  /** Run with `/bin/sh -c`. */
  command: string;
  /** Names of steps that must have FINISHED before this one starts. */
  dependsOn?: readonly string[];
  timeoutSeconds?: number;
}

// A step's states and their transitions are in lib/step-state.ts. A step never runs after one of
// its dependencies failed.
export { StepState } from '../../lib/status.ts';

export interface StepProblem {
  /** Where in the input, e.g. `steps[2].dependsOn[0]`. */
  path: string;
  message: string;
}

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/** Every problem with `steps`, in input order; empty when the steps form a valid DAG. */
export function validateSteps(steps: readonly StepSpec[], basePath = 'steps'): StepProblem[] {
  const problems: StepProblem[] = [];
  if (steps.length === 0) {
    problems.push({ path: basePath, message: 'at least one step is required' });
    return problems;
  }
  const firstIndex = new Map<string, number>();
  steps.forEach((step, i) => {
    const at = `${basePath}[${i}]`;
    if (typeof step.name !== 'string' || !NAME_PATTERN.test(step.name)) {
      problems.push({
        path: `${at}.name`,
        message: `step name ${JSON.stringify(step.name)} must be 1-100 characters of A-Z a-z 0-9 _ . -`,
      });
    } else {
      const earlier = firstIndex.get(step.name);
      if (earlier === undefined) firstIndex.set(step.name, i);
      else {
        problems.push({
          path: `${at}.name`,
          message: `duplicate step name ${JSON.stringify(step.name)} (also ${basePath}[${earlier}])`,
        });
      }
    }
    if (typeof step.command !== 'string' || step.command.trim() === '') {
      problems.push({ path: `${at}.command`, message: 'command must not be empty' });
    }
    if (
      step.timeoutSeconds !== undefined &&
      !(
        typeof step.timeoutSeconds === 'number' &&
        Number.isFinite(step.timeoutSeconds) &&
        step.timeoutSeconds > 0
      )
    ) {
      problems.push({ path: `${at}.timeoutSeconds`, message: 'timeoutSeconds must be a positive number' });
    }
  });

  steps.forEach((step, i) => {
    const seen = new Set<string>();
    (step.dependsOn ?? []).forEach((dep, j) => {
      const at = `${basePath}[${i}].dependsOn[${j}]`;
      if (dep === step.name) problems.push({ path: at, message: 'a step cannot depend on itself' });
      else if (!firstIndex.has(dep)) {
        problems.push({ path: at, message: `depends on unknown step ${JSON.stringify(dep)}` });
      } else if (seen.has(dep)) {
        problems.push({ path: at, message: `lists dependency ${JSON.stringify(dep)} twice` });
      }
      seen.add(dep);
    });
  });

  problems.push(...findCycles(steps, firstIndex, basePath));
  return problems;
}

/** Throws BadInputError naming the first problem, with all of them in `details.problems`. */
export function assertValidSteps(steps: readonly StepSpec[], basePath = 'steps'): void {
  const problems = validateSteps(steps, basePath);
  const first = problems[0];
  if (first) {
    throw new BadInputError(`${first.path}: ${first.message}`, { path: first.path, details: { problems } });
  }
}

/**
 * Names in an order where every step comes after its dependencies. Stable: at each point the ready
 * step that comes first in the input is taken, so independent steps keep the order they were written.
 */
export function topologicalOrder(steps: readonly StepSpec[]): string[] {
  assertValidSteps(steps);
  const done = new Set<string>();
  const order: string[] = [];
  const remaining = [...steps];
  while (remaining.length > 0) {
    const i = remaining.findIndex((s) => (s.dependsOn ?? []).every((d) => done.has(d)));
    // Validation rules out cycles and unknown dependencies, so some step is always ready.
    const [step] = remaining.splice(i, 1) as [StepSpec];
    done.add(step.name);
    order.push(step.name);
  }
  return order;
}

/** PENDING steps whose dependencies have all FINISHED, in input order. A missing state counts as PENDING. */
export function runnableSteps(
  steps: readonly StepSpec[],
  states: Readonly<Record<string, StepState>>,
): string[] {
  return steps
    .filter(
      (s) =>
        stateOf(states, s.name) === StepState.PENDING &&
        (s.dependsOn ?? []).every((d) => stateOf(states, d) === StepState.FINISHED),
    )
    .map((s) => s.name);
}

/**
 * PENDING steps that can never run because a dependency FAILED or was SKIPPED, followed through the
 * whole downstream: if a fails, both b (depends on a) and c (depends on b) are returned at once.
 */
export function stepsToSkip(
  steps: readonly StepSpec[],
  states: Readonly<Record<string, StepState>>,
): string[] {
  const blocked = new Set<string>();
  const isBlocked = (name: string) => {
    const state = stateOf(states, name);
    return state === StepState.FAILED || state === StepState.SKIPPED || blocked.has(name);
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const s of steps) {
      if (blocked.has(s.name) || stateOf(states, s.name) !== StepState.PENDING) continue;
      if ((s.dependsOn ?? []).some(isBlocked)) {
        blocked.add(s.name);
        changed = true;
      }
    }
  }
  return steps.filter((s) => blocked.has(s.name)).map((s) => s.name);
}

function stateOf(states: Readonly<Record<string, StepState>>, name: string): StepState {
  return Object.hasOwn(states, name) ? (states[name] as StepState) : StepState.PENDING;
}

/**
 * One problem per dependency edge that closes a cycle, found by depth-first search in input order;
 * the message reads along `dependsOn` ("a -> b" = a depends on b).
 * Self-dependencies and unknown names are reported elsewhere and skipped here. Iterative, so a long
 * chain of steps cannot overflow the stack.
 */
function findCycles(
  steps: readonly StepSpec[],
  firstIndex: Map<string, number>,
  basePath: string,
): StepProblem[] {
  const problems: StepProblem[] = [];
  const color = new Array<0 | 1 | 2>(steps.length).fill(0); // 0 unvisited, 1 on the path, 2 done
  const reported = new Set<string>();
  const depsOf = (i: number) => steps[i]?.dependsOn ?? [];

  for (let root = 0; root < steps.length; root++) {
    if (color[root] !== 0 || firstIndex.get(steps[root]?.name ?? '') !== root) continue;
    const path: { index: number; next: number }[] = [{ index: root, next: 0 }];
    color[root] = 1;
    while (path.length > 0) {
      const frame = path[path.length - 1] as { index: number; next: number };
      const deps = depsOf(frame.index);
      if (frame.next >= deps.length) {
        color[frame.index] = 2;
        path.pop();
        continue;
      }
      const j = frame.next++;
      const target = firstIndex.get(deps[j] as string);
      if (target === undefined || target === frame.index) continue;
      if (color[target] === 0) {
        color[target] = 1;
        path.push({ index: target, next: 0 });
      } else if (color[target] === 1) {
        const from = path.findIndex((f) => f.index === target);
        const members = path.slice(from).map((f) => steps[f.index]?.name ?? '');
        const key = [...members].sort().join('\0');
        if (reported.has(key)) continue;
        reported.add(key);
        problems.push({
          path: `${basePath}[${frame.index}].dependsOn[${j}]`,
          message: `cycle: ${[...members, members[0]].join(' -> ')}`,
        });
      }
    }
  }
  return problems;
}
