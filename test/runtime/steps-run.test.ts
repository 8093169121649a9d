import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/lib/errors.ts';
import { runCommand } from '../../src/runtime/executors/run-command.ts';
import { runSteps, type StepOutcome } from '../../src/runtime/executors/run-steps.ts';
import type { StepSpec, StepState } from '../../src/runtime/executors/steps-plan.ts';
import { until } from '../support/wait.ts';

const step = (name: string, dependsOn?: string[], command = 'true'): StepSpec => ({
  name,
  command,
  dependsOn,
});
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runStep that records what ran and fails the names in `failing`; the delay stands for the step's
 * work (no test waits on it). */
function recorder(failing: string[] = []) {
  const ran: string[] = [];
  return {
    ran,
    runStep: async (s: StepSpec): Promise<StepOutcome> => {
      ran.push(s.name);
      await delay(10);
      return failing.includes(s.name) ? 'FAILED' : 'FINISHED';
    },
  };
}

describe('runSteps', () => {
  it('a failed step skips its dependents while the other branch finishes', async () => {
    const steps = [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['c']), step('e', ['d'])];
    const r = recorder(['c']);
    const changes: [string, StepState][] = [];
    const result = await runSteps({
      steps,
      runStep: r.runStep,
      onStateChange: (n, s) => changes.push([n, s]),
    });
    expect(result).toEqual({
      states: { a: 'FINISHED', b: 'FINISHED', c: 'FAILED', d: 'SKIPPED', e: 'SKIPPED' },
      canceled: false,
    });
    expect(r.ran).toEqual(['a', 'b', 'c']);
    expect(changes.slice(0, 4)).toEqual([
      ['a', 'RUNNING'],
      ['a', 'FINISHED'],
      ['b', 'RUNNING'],
      ['c', 'RUNNING'],
    ]);
  });

  it('runs independent steps in parallel, up to maxParallel', async () => {
    const steps = ['p', 'q', 'r', 's', 't'].map((n) => step(n));
    // Steps that run until the test lets them end, so "at once" does not depend on how long a
    // step takes.
    const held = () => {
      const running: (() => void)[] = [];
      const ran: string[] = [];
      return {
        ran,
        running,
        runStep: (s: StepSpec) =>
          new Promise<StepOutcome>((resolve) => {
            ran.push(s.name);
            running.push(() => resolve('FINISHED'));
          }),
      };
    };
    const unlimited = held();
    const all = runSteps({ steps, runStep: unlimited.runStep });
    await until('all five steps running at once', () => unlimited.running.length === 5);
    for (const end of unlimited.running) end();
    await all;

    const limited = held();
    const result = runSteps({ steps, runStep: limited.runStep, maxParallel: 2 });
    for (let ended = 0; ended < 5; ended++) {
      // Two at a time: the same wait that saw five start at once above sees no third until one ends.
      const started = Math.min(ended + 2, 5);
      await until(`${started} steps started`, () => limited.running.length >= started);
      expect(limited.running.length).toBe(started);
      limited.running[ended]!();
    }
    expect(limited.ran).toEqual(['p', 'q', 'r', 's', 't']);
    expect(Object.values((await result).states)).toEqual(Array(5).fill('FINISHED'));
  });

  it('with only, re-runs just those steps and treats the rest as FINISHED', async () => {
    const steps = [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['c'])];
    const r = recorder();
    const result = await runSteps({ steps, only: ['c'], runStep: r.runStep });
    expect(r.ran).toEqual(['c']);
    expect(result.states).toEqual({ a: 'FINISHED', b: 'FINISHED', c: 'FINISHED', d: 'FINISHED' });

    const again = recorder();
    await runSteps({ steps, only: ['d', 'c'], runStep: again.runStep });
    expect(again.ran).toEqual(['c', 'd']);
  });

  it('counts a runStep that throws as FAILED', async () => {
    const result = await runSteps({
      steps: [step('a'), step('b', ['a'])],
      runStep: () => {
        throw new Error('boom');
      },
    });
    expect(result.states).toEqual({ a: 'FAILED', b: 'SKIPPED' });
  });

  it('stops starting steps once aborted and waits for the running ones', async () => {
    const controller = new AbortController();
    const steps = [step('a'), step('b', ['a']), step('c', ['b'])];
    const ran: string[] = [];
    const result = await runSteps({
      steps,
      signal: controller.signal,
      runStep: async (s) => {
        ran.push(s.name);
        if (s.name === 'b') controller.abort();
        await delay(20);
        return 'FINISHED';
      },
    });
    expect(ran).toEqual(['a', 'b']);
    expect(result).toEqual({ states: { a: 'FINISHED', b: 'FINISHED', c: 'PENDING' }, canceled: true });
  });

  it('rejects invalid steps and unknown names in only', async () => {
    const r = recorder();
    await expect(runSteps({ steps: [step('a', ['a'])], runStep: r.runStep })).rejects.toThrow(BadInputError);
    await expect(runSteps({ steps: [step('a')], only: ['zz'], runStep: r.runStep })).rejects.toThrow(
      'cannot re-run unknown step "zz"',
    );
    expect(r.ran).toEqual([]);
  });

  it('drives real shell commands', async () => {
    const steps = [
      step('a', [], 'echo a'),
      step('b', ['a'], 'echo b'),
      step('c', ['a'], 'echo c; exit 1'),
      step('d', ['c'], 'echo d'),
    ];
    const lines: string[] = [];
    const result = await runSteps({
      steps,
      runStep: async (s) => {
        const r = await runCommand({
          command: s.command,
          timeoutMs: 1000,
          onLine: (_st, l) => lines.push(l),
        });
        return r.exitCode === 0 ? 'FINISHED' : 'FAILED';
      },
    });
    expect(result.states).toEqual({ a: 'FINISHED', b: 'FINISHED', c: 'FAILED', d: 'SKIPPED' });
    expect(lines.sort()).toEqual(['a', 'b', 'c']);
  });
});
