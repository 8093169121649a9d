// `Query.run` reads the run and what the query asks below it in one statement (run-tree.ts). The
// answers must be exactly those of the per-level loaders, which `runs { nodes { … } }` still uses,
// whatever the document's shape: fragments, aliases, page sizes from variables, cursors, bad sizes.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun, type SeededRun } from '../support/fixtures.ts';

let t: TestApp;
const statements: string[] = [];
let seeded: SeededRun;
let bare: SeededRun;

beforeAll(async () => {
  t = await createTestApp({ onStatement: (q) => statements.push(q) });
  seeded = await seedRun(t.database, {
    name: 'tree',
    vertices: 3,
    parallelism: 4,
    checkpoints: 30,
    nodes: 3,
  });
  bare = await seedRun(t.database, { name: 'bare', vertices: 1, parallelism: 1, checkpoints: 0, nodes: 1 });
  // What the seed leaves out: a subtask never placed (no node, no start), a second failure, a metric
  // that is not a number.
  await t.database.execute(sql`
    update subtasks set node_id = null, started_at = null, status = 'CREATED'
    where run_id = ${seeded.runId} and index = 3`);
  await t.database.execute(sql`
    insert into run_status_history (run_id, from_status, to_status, cause)
    values (${seeded.runId}, null, 'CREATED', 'started'), (${seeded.runId}, 'CREATED', 'RUNNING', null)`);
  const [v0, v1] = seeded.vertexIds;
  await t.database.execute(sql`
    insert into metrics_current (key, name, scope, run_id, vertex_id, subtask_index, value) values
      (${`subtask:${seeded.runId}:${v0}:1`}, 'numRecordsOut', 'SUBTASK', ${seeded.runId}, ${v0}, 1, 42),
      (${`subtask:${seeded.runId}:${v0}:1`}, 'numRecordsIn', 'SUBTASK', ${seeded.runId}, ${v0}, 1, 'NaN'),
      (${`subtask:${seeded.runId}:${v1}:0`}, 'numRecordsIn', 'SUBTASK', ${seeded.runId}, ${v1}, 0, 7)`);
  await t.database.execute(sql`
    insert into run_exceptions (run_id, message, vertex_name, subtask_index, global)
    values (${seeded.runId}, 'second "quoted" failure, with a newline
here', null, null, true)`);
});
afterAll(() => t.close());

/** Everything the run field can read ahead, and some it cannot. */
const SELECTION = `
  id number status statusCause startedAt endedAt createdAt parallelism attempt
  job { id name }
  vertices {
    id name kind plugin parallelism status config inputs
    subtasks {
      id index status attempt startedAt endedAt runId vertexId
      node { id name status slots tags { key value } }
      metrics(names: ["numRecordsOut"]) { name value }
    }
    metrics(names: ["numRecordsIn", "numRecordsOut"]) { name value }
    all: metrics { name value }
  }
  checkpoints(first: $first) { nodes { id number kind status triggeredAt completedAt durationMs stateSize } pageInfo { hasNextPage endCursor } }
  exceptions { at message vertex subtaskIndex global }
  statusHistory { from to cause at }
`;

async function statementsOf<T>(work: () => Promise<T>): Promise<{ result: T; count: number }> {
  statements.length = 0;
  const result = await work();
  return { result, count: statements.length };
}

/** The run through `run(id)` (read ahead) and through the job's run list (per-level loaders). */
async function bothWays(run: SeededRun, name: string, first: number | null) {
  const ahead = await statementsOf(() =>
    t.graphql(`query ($id: ID!, $first: Int) { run(id: $id) { ${SELECTION} } }`, { id: run.runId, first }),
  );
  const perLevel = await t.graphql(
    `query ($job: String!, $first: Int) { runs(job: $job, first: 1) { nodes { ${SELECTION} } } }`,
    { job: name, first },
  );
  expect(ahead.result.errors).toBeUndefined();
  expect(perLevel.errors).toBeUndefined();
  return { ahead: ahead.result.data!.run, perLevel: perLevel.data!.runs.nodes[0], count: ahead.count };
}

describe('the run read ahead', () => {
  it('answers exactly what the per-level loaders answer, for a full run and an empty one', async () => {
    for (const [run, name, first] of [
      [seeded, 'tree', null],
      [seeded, 'tree', 7],
      [seeded, 'tree', 100],
      [bare, 'bare', 5],
    ] as const) {
      const { ahead, perLevel, count } = await bothWays(run, name, first);
      expect(ahead).toEqual(perLevel);
      expect(ahead.id).toBe(run.runId);
      // Everything selected is read ahead.
      expect(count).toBe(1);
    }
    const { ahead } = await bothWays(seeded, 'tree', 7);
    expect(ahead.checkpoints.nodes).toHaveLength(7);
    expect(ahead.checkpoints.pageInfo.hasNextPage).toBe(true);
    expect(ahead.vertices[0].subtasks[3].node).toBeNull();
    expect(ahead.vertices[0].subtasks[1].metrics).toEqual([{ name: 'numRecordsOut', value: 42 }]);
    expect(ahead.vertices[1].subtasks[0].metrics).toEqual([]);
    expect(ahead.vertices[1].inputs).toEqual(['v0']);
    expect(ahead.statusHistory.map((h: { to: string }) => h.to)).toEqual(['CREATED', 'RUNNING']);
    expect(ahead.exceptions.map((e: { message: string }) => e.message)).toEqual([
      'boom in v0',
      'second "quoted" failure, with a newline\nhere',
    ]);
  });

  it('reads the contract Run query in one statement, however large the run', async () => {
    const large = await statementsOf(() => t.graphql({ contract: 'Run' }, { id: seeded.runId }));
    const small = await statementsOf(() => t.graphql({ contract: 'Run' }, { id: bare.runId }));
    expect(large.result.errors).toBeUndefined();
    expect(large.count).toBe(1);
    expect(small.count).toBe(1);
  });

  it('follows fragments and inline fragments, and leaves to the loaders what it does not read ahead', async () => {
    const query = `
      fragment Sub on Subtask { index node { name } }
      fragment V on Vertex { name subtasks { ...Sub } }
      query ($id: ID!) {
        run(id: $id) {
          ... on Run { vertices { ...V } }
          checkpoints(first: 3) { nodes { number } pageInfo { endCursor } }
        }
      }`;
    const { result, count } = await statementsOf(() => t.graphql(query, { id: seeded.runId }));
    expect(result.errors).toBeUndefined();
    expect(count).toBe(1);
    const run = result.data!.run;
    expect(run.vertices).toHaveLength(3);
    expect(run.vertices[1].subtasks.map((s: { index: number }) => s.index)).toEqual([0, 1, 2, 3]);
    expect(run.checkpoints.nodes.map((c: { number: number }) => c.number)).toEqual([30, 29, 28]);

    // The page after a cursor is not read ahead: its own loader reads it, and reads it right.
    const after = run.checkpoints.pageInfo.endCursor;
    const next = await statementsOf(() =>
      t.graphql(
        `query ($id: ID!, $after: String) {
          run(id: $id) { top: checkpoints(first: 2) { nodes { number } } next: checkpoints(first: 2, after: $after) { nodes { number } } }
        }`,
        { id: seeded.runId, after },
      ),
    );
    expect(next.result.errors).toBeUndefined();
    expect(next.result.data!.run.top.nodes.map((c: { number: number }) => c.number)).toEqual([30, 29]);
    expect(next.result.data!.run.next.nodes.map((c: { number: number }) => c.number)).toEqual([27, 26]);
    expect(next.count).toBe(2);
  });

  it('leaves a bad page size to the field, which says what is wrong', async () => {
    const res = await t.graphql(
      `query ($id: ID!, $first: Int) { run(id: $id) { id checkpoints(first: $first) { nodes { id } } } }`,
      { id: seeded.runId, first: 5000 },
    );
    expect(res.errors![0]!.message).toMatch(/first must be between 0 and 1000, got 5000/);
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for an unknown run and BAD_USER_INPUT for a malformed id, as before', async () => {
    const unknown = await t.graphql({ contract: 'Run' }, { id: 'f'.repeat(32) });
    expect(unknown.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    const malformed = await t.graphql({ contract: 'Run' }, { id: 'xyz' });
    expect(malformed.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('shares one statement among concurrent requests for the same run, and each gets its answer', async () => {
    const { result, count } = await statementsOf(() =>
      Promise.all([
        ...Array.from({ length: 6 }, () => t.graphql({ contract: 'Run' }, { id: seeded.runId })),
        t.graphql({ contract: 'Run' }, { id: bare.runId }),
      ]),
    );
    for (const res of result.slice(0, 6)) expect(res).toEqual(result[0]);
    expect(result[0]!.data!.run.vertices).toHaveLength(3);
    expect(result[6]!.data!.run.vertices).toHaveLength(1);
    // One per run asked for, each read on its own (not one statement over both runs).
    expect(count).toBe(2);
  });
});
