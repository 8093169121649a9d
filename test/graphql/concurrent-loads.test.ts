// Loads of requests in flight together share statements (loaders.ts); each request must still get
// exactly its own answer.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun, type SeededRun } from '../support/fixtures.ts';

let t: TestApp;
const seeded: SeededRun[] = [];
beforeAll(async () => {
  t = await createTestApp();
  for (let i = 0; i < 5; i++) {
    seeded.push(
      await seedRun(t.database, {
        name: `job-${i}`,
        vertices: 2 + i,
        parallelism: 1 + i,
        checkpoints: i * 3,
        nodes: 1,
      }),
    );
  }
});
afterAll(() => t.close());

it('concurrent Run queries for different runs each get their own run, and an unknown one only its own error', async () => {
  const ids = [...seeded.map((s) => s.runId), 'f'.repeat(32)];
  const responses = await Promise.all(
    [...ids, ...ids].map((id) => t.graphql({ contract: 'Run' }, { id }).then((res) => ({ id, res }))),
  );
  for (const { id, res } of responses) {
    const index = seeded.findIndex((s) => s.runId === id);
    if (index === -1) {
      expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      continue;
    }
    expect(res.errors).toBeUndefined();
    const run = res.data!.run;
    expect(run.id).toBe(id);
    expect(run.job.name).toBe(`job-${index}`);
    expect(run.vertices).toHaveLength(2 + index);
    for (const v of run.vertices) expect(v.subtasks).toHaveLength(1 + index);
    expect(run.checkpoints.nodes).toHaveLength(Math.min(20, index * 3));
  }
});
