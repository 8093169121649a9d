// A list of runs costs the same number of SQL statements however many runs it holds: each run's
// checkpoints and status history are one batched statement for the whole list, never one per run.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStatusHistory } from '../../src/db/schema/index.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun } from '../support/fixtures.ts';

const RUNS = 20;
/** Run i has gone through the first 1 + i % 3 of these. */
const PATH = ['CREATED', 'INITIALIZING', 'RUNNING'] as const;
const LIST = `query($first: Int!) {
  runs(first: $first) {
    nodes {
      id
      checkpoints(first: 5) { nodes { id number } pageInfo { hasNextPage } }
      statusHistory { from to cause }
    }
  }
}`;

let t: TestApp;
const runIds: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  for (let i = 0; i < RUNS; i++) {
    // Different shapes, so that every run has its own number of checkpoints and transitions.
    const run = await seedRun(t.database, {
      name: `listed-${i}`,
      vertices: 2,
      parallelism: 1,
      checkpoints: 1 + (i % 8),
      nodes: 1,
    });
    runIds.push(run.runId);
    const path = PATH.slice(0, 1 + (i % 3));
    await t.database.db
      .insert(runStatusHistory)
      .values(path.map((to, k) => ({ runId: run.runId, fromStatus: k ? path[k - 1]! : null, toStatus: to })));
  }
});
afterAll(() => t.close());

async function listRuns(first: number) {
  const before = t.database.stats.statements;
  const res = await t.graphql(LIST, { first });
  expect(res.errors).toBeUndefined();
  return { runs: res.data!.runs.nodes as any[], statements: t.database.stats.statements - before };
}

it('runs with their checkpoints and status history cost the same statements for 1, 5 or 20 runs', async () => {
  const one = await listRuns(1);
  const five = await listRuns(5);
  const twenty = await listRuns(RUNS);
  // The positive control: the lists really hold that many runs, each with its own rows.
  expect([one.runs.length, five.runs.length, twenty.runs.length]).toEqual([1, 5, RUNS]);
  expect(new Set(twenty.runs.map((r) => r.id))).toEqual(new Set(runIds));
  expect(twenty.runs.every((r) => r.checkpoints.nodes.length > 0 && r.statusHistory.length > 0)).toBe(true);
  expect(five.statements).toBe(one.statements);
  expect(twenty.statements).toBe(one.statements);
  // the page of runs, the checkpoints of all of them, the status history of all of them
  expect(twenty.statements).toBeLessThanOrEqual(3);
});

it('each run in the list gets its own checkpoints, newest first, and its own history in order', async () => {
  const { runs } = await listRuns(RUNS);
  for (const run of runs) {
    const i = runIds.indexOf(run.id);
    const count = 1 + (i % 8);
    expect(run.checkpoints.nodes.map((c: any) => c.number)).toEqual(
      Array.from({ length: Math.min(count, 5) }, (_, k) => count - k),
    );
    expect(run.checkpoints.pageInfo.hasNextPage).toBe(count > 5);
    const path = PATH.slice(0, 1 + (i % 3));
    expect(run.statusHistory.map((h: any) => h.to)).toEqual(path);
  }
  expect(runs).toHaveLength(RUNS);
});

it('a page of checkpoints below a cursor is batched across the list too', async () => {
  // The cursor of checkpoint 8 (of the run that has 8): every run then pages below number 8.
  const widest = runIds[7]!;
  const first = await t.graphql(
    `query($id: ID!) { run(id: $id) { checkpoints(first: 1) { nodes { number } pageInfo { endCursor } } } }`,
    { id: widest },
  );
  expect(first.data!.run.checkpoints.nodes).toEqual([{ number: 8 }]);
  const after = first.data!.run.checkpoints.pageInfo.endCursor as string;
  const query = `query($first: Int!, $after: String!) {
    runs(first: $first) { nodes { id checkpoints(first: 2, after: $after) { nodes { number } } } }
  }`;
  const count = async (n: number) => {
    const before = t.database.stats.statements;
    const res = await t.graphql(query, { first: n, after });
    expect(res.errors).toBeUndefined();
    return { statements: t.database.stats.statements - before, runs: res.data!.runs.nodes as any[] };
  };
  const one = await count(1);
  const twenty = await count(RUNS);
  expect(twenty.runs).toHaveLength(RUNS);
  expect(twenty.statements).toBe(one.statements);
  for (const run of twenty.runs) {
    const top = Math.min(1 + (runIds.indexOf(run.id) % 8), 7);
    expect(run.checkpoints.nodes.map((c: any) => c.number)).toEqual(
      Array.from({ length: Math.min(top, 2) }, (_, k) => top - k),
    );
  }
});
