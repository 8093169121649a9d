// A Flink call costs a bounded number of SQL statements whatever the size of the run: every route
// runs GraphQL documents whose nesting levels are each one batched statement (the schema's loaders),
// never one per vertex, subtask or checkpoint.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';
import { seedRun, type SeededRun } from '../support/fixtures.ts';

let t: TestApp;
let app: App;
let base: string;
let token: string;
const statements: string[] = [];
let small: SeededRun;
let large: SeededRun;

beforeAll(async () => {
  t = await createTestApp({ authEnabled: true, onStatement: (q) => statements.push(q) });
  token = await t.token('viewer');
  small = await seedRun(t.database, { name: 'small', vertices: 2, parallelism: 1, checkpoints: 1, nodes: 1 });
  large = await seedRun(t.database, {
    name: 'large',
    vertices: 5,
    parallelism: 8,
    checkpoints: 30,
    nodes: 4,
  });
  app = buildServedApp(t.database);
  base = `${await app.start()}/compat/flink`;
  await cost('/overview'); // the token's first use is recorded once; not a cost of the routes
});
afterAll(async () => {
  await app?.stop();
  await t?.close();
});

/** Statements one GET costs (the server is otherwise idle: nothing else runs on this database). */
async function cost(path: string): Promise<number> {
  statements.length = 0;
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  await res.arrayBuffer();
  return statements.length;
}

const hex = (uuid: string) => uuid.replaceAll('-', '');

it.each([
  ['job details', (r: SeededRun) => `/jobs/${r.runId}`],
  ['a vertex', (r: SeededRun) => `/jobs/${r.runId}/vertices/${hex(r.vertexIds[0]!)}`],
  [
    'aggregated subtask metrics',
    (r: SeededRun) => `/jobs/${r.runId}/vertices/${hex(r.vertexIds[0]!)}/subtasks/metrics?get=numRecordsIn`,
  ],
  ['checkpoint statistics', (r: SeededRun) => `/jobs/${r.runId}/checkpoints`],
  ['job metrics', (r: SeededRun) => `/jobs/${r.runId}/metrics?get=uptime`],
])('%s costs the same for a 2×1 run and a 5×8 run with 30 checkpoints', async (name, path) => {
  const smallCount = await cost(path(small));
  const largeCount = await cost(path(large));
  console.log(`Flink ${name}: ${smallCount} statements (2x1), ${largeCount} (5x8, 30 checkpoints)`);
  expect(largeCount).toBe(smallCount);
  expect(largeCount).toBeLessThanOrEqual(12);
});
