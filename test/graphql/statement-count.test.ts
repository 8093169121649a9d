// The contract's Run query must cost the same number of SQL statements whatever the run's size:
// never one per vertex or subtask. `Query.run` reads the run and every level below it that the query
// asks for in one statement (run-tree.ts); other fields batch a level per statement (DataLoader).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun } from '../support/fixtures.ts';

let t: TestApp;
const statements: string[] = [];

beforeAll(async () => {
  t = await createTestApp({ onStatement: (q) => statements.push(q) });
});
afterAll(() => t.close());

async function countRunQuery(runId: string): Promise<number> {
  statements.length = 0;
  const res = await t.graphql({ contract: 'Run' }, { id: runId });
  expect(res.errors).toBeUndefined();
  return statements.length;
}

it('the Run query issues a constant number of statements', async () => {
  const small = await seedRun(t.database, {
    name: 'small',
    vertices: 2,
    parallelism: 1,
    checkpoints: 1,
    nodes: 1,
  });
  const large = await seedRun(t.database, {
    name: 'large',
    vertices: 5,
    parallelism: 8,
    checkpoints: 50,
    nodes: 4,
  });
  const smallCount = await countRunQuery(small.runId);
  const largeCount = await countRunQuery(large.runId);
  console.log(`Run query: ${smallCount} statements (2x1, 1 checkpoint), ${largeCount} (5x8, 50 checkpoints)`);
  expect(largeCount).toBe(smallCount);
  // The run with its job, vertices, subtasks, nodes, metrics, checkpoints and exceptions (the token
  // lookup is off).
  expect(largeCount).toBe(1);
});
