import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/lib/errors.ts';
import {
  runnableSteps,
  stepsToSkip,
  topologicalOrder,
  validateSteps,
  type StepSpec,
} from '../../src/runtime/executors/steps-plan.ts';

const step = (name: string, dependsOn?: string[]): StepSpec => ({ name, command: `echo ${name}`, dependsOn });

describe('validateSteps', () => {
  it('accepts a valid DAG', () => {
    expect(validateSteps([step('a'), step('b', ['a']), step('c', ['a', 'b'])])).toEqual([]);
  });

  it('reports problems with paths', () => {
    const problems = validateSteps([
      step('a'),
      { name: 'a', command: 'echo again' },
      { name: 'b', command: '  ', dependsOn: ['a', 'x', 'b'] },
      { name: 'bad name!', command: 'true' },
      { name: '', command: 'true' },
      { name: 'x'.repeat(101), command: 'true' },
      { name: 'slow', command: 'true', timeoutSeconds: 0 },
    ]);
    expect(problems).toEqual([
      { path: 'steps[1].name', message: 'duplicate step name "a" (also steps[0])' },
      { path: 'steps[2].command', message: 'command must not be empty' },
      { path: 'steps[3].name', message: expect.stringContaining('"bad name!" must be 1-100 characters') },
      { path: 'steps[4].name', message: expect.stringContaining('"" must be 1-100 characters') },
      { path: 'steps[5].name', message: expect.stringContaining('must be 1-100 characters') },
      { path: 'steps[6].timeoutSeconds', message: 'timeoutSeconds must be a positive number' },
      { path: 'steps[2].dependsOn[1]', message: 'depends on unknown step "x"' },
      { path: 'steps[2].dependsOn[2]', message: 'a step cannot depend on itself' },
    ]);
  });

  it('accepts names at the limits of the allowed characters', () => {
    expect(
      validateSteps([
        { name: 'A-z_0.9', command: 'true' },
        { name: 'x'.repeat(100), command: 'true' },
      ]),
    ).toEqual([]);
  });

  it('names a cycle', () => {
    expect(validateSteps([step('a', ['b']), step('b', ['a'])])).toEqual([
      { path: 'steps[1].dependsOn[0]', message: 'cycle: a -> b -> a' },
    ]);
  });

  it('names a longer cycle once, beside steps that are fine', () => {
    const problems = validateSteps([
      step('start'),
      step('a', ['start', 'c']),
      step('b', ['a']),
      step('c', ['b']),
      step('end', ['c']),
    ]);
    expect(problems).toEqual([{ path: 'steps[2].dependsOn[0]', message: 'cycle: a -> c -> b -> a' }]);
  });

  it('uses the given base path and rejects an empty list', () => {
    expect(validateSteps([], 'input.steps')).toEqual([
      { path: 'input.steps', message: 'at least one step is required' },
    ]);
    expect(validateSteps([step('a', ['zz'])], 'input.steps')[0]?.path).toBe('input.steps[0].dependsOn[0]');
  });

  it('handles a long chain without overflowing the stack', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    expect(validateSteps(chain)).toEqual([]);
  });
});

describe('topologicalOrder', () => {
  it('puts dependencies first and keeps input order among ready steps', () => {
    expect(topologicalOrder([step('c', ['a']), step('a'), step('b'), step('d', ['c', 'b'])])).toEqual([
      'a',
      'c',
      'b',
      'd',
    ]);
    expect(topologicalOrder([step('x'), step('y'), step('z')])).toEqual(['x', 'y', 'z']);
  });

  it('throws BadInputError for invalid steps', () => {
    expect(() => topologicalOrder([step('a', ['b']), step('b', ['a'])])).toThrow(BadInputError);
  });
});

describe('runnableSteps and stepsToSkip', () => {
  const dag = [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['c']), step('e', ['d', 'b'])];

  it('runs roots first, then steps whose dependencies all FINISHED', () => {
    expect(runnableSteps(dag, {})).toEqual(['a']);
    expect(runnableSteps(dag, { a: 'RUNNING' })).toEqual([]);
    expect(runnableSteps(dag, { a: 'FINISHED' })).toEqual(['b', 'c']);
    expect(runnableSteps(dag, { a: 'FINISHED', b: 'FINISHED', c: 'RUNNING' })).toEqual([]);
    expect(runnableSteps(dag, { a: 'FINISHED', b: 'FINISHED', c: 'FINISHED', d: 'FINISHED' })).toEqual(['e']);
  });

  it('skips every PENDING step downstream of a failure, and nothing else', () => {
    const states = { a: 'FINISHED', b: 'RUNNING', c: 'FAILED', d: 'PENDING', e: 'PENDING' } as const;
    expect(stepsToSkip(dag, states)).toEqual(['d', 'e']);
    expect(runnableSteps(dag, states)).toEqual([]);
    expect(stepsToSkip(dag, { a: 'FINISHED', b: 'SKIPPED' })).toEqual(['e']);
    expect(stepsToSkip(dag, { a: 'FINISHED', b: 'FINISHED', c: 'FINISHED' })).toEqual([]);
  });
});
