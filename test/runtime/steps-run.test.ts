import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/lib/errors.ts';
import { runCommand } from '../../src/runtime/executors/run-command.ts';
import { runSteps, type StepOutcome } from '../../src/runtime/executors/run-steps.ts';
import type { StepSpec, StepState } from '../../src/runtime/executors/steps-plan.ts';

const step = (name: string, dependsOn?: string[], command = 'true'): StepSpec => ({
  name,
  command,
  dependsOn,
});
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runStep that records what ran, fails the names in `failing`, and tracks peak concurrency. */
function recorder(failing: string[] = [], ms = 10) {
  const ran: string[] = [];
  let running = 0;
  let peak = 0;
  return {
    ran,
    peak: () => peak,
    runStep: async (s: StepSpec): Promise<StepOutcome> => {
      ran.push(s.name);
      running++;
      peak = Math.max(peak, running);
      await delay(ms);
      running--;
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
    const unlimited = recorder([], 50);
    await runSteps({ steps, runStep: unlimited.runStep });
    expect(unlimited.peak()).toBe(5);

    const limited = recorder([], 20);
    const result = await runSteps({ steps, runStep: limited.runStep, maxParallel: 2 });
    expect(limited.peak()).toBe(2);
    expect(limited.ran).toEqual(['p', 'q', 'r', 's', 't']);
    expect(Object.values(result.states)).toEqual(Array(5).fill('FINISHED'));
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
