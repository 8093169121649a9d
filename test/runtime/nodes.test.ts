// Node membership: metrics, draining, and a run that waits for a slot and says why.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assignments, metricsCurrent } from '../../src/db/schema/index.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime({ slots: 2 });
});
afterAll(() => t.close());

it('a node reports CPU, memory and slots as metrics', async () => {
  const nodeId = t.runtime.node!.id;
  const deadline = Date.now() + 5_000;
  let names: string[] = [];
  while (Date.now() < deadline && names.length < 5) {
    const rows = await t.database.db
      .select()
      .from(metricsCurrent)
      .where(eq(metricsCurrent.key, `node:${nodeId}`));
    names = rows.map((r) => r.name).sort();
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(names).toEqual(['cpuPercent', 'heapUsedBytes', 'memoryRssBytes', 'slotsTotal', 'slotsUsed']);
  const res = await t.graphql(
    `{ nodes { name metrics(names: ["slotsTotal", "memoryRssBytes"]) { name scope value } } }`,
  );
  const metrics = res.data!.nodes.find((n: any) => n.name === 'test-node').metrics;
  expect(metrics).toContainEqual({ name: 'slotsTotal', scope: 'NODE', value: 2 });
  expect(metrics.find((m: any) => m.name === 'memoryRssBytes').value).toBeGreaterThan(1_000_000);
});

it('a drained node takes no new work; the run waits and says why; resumed, it runs', async () => {
  const nodeId = t.runtime.node!.id;
  const drained = await t.graphql(`mutation($id: ID!) { drainNode(id: $id) { node { status } } }`, {
    id: nodeId,
  });
  expect(drained.data!.drainNode.node.status).toBe('DRAINING');
  await t.createJob({ name: 'waits', command: { command: 'echo ran' } });
  const runId = await t.start('waits');
  await new Promise((r) => setTimeout(r, 600));
  const [waiting] = await t.database.db.select().from(assignments).where(eq(assignments.runId, runId));
  expect(waiting).toMatchObject({ status: 'CREATED', nodeId: null });
  expect(waiting!.waitingReason).toMatch(/no READY node in the cluster/);
  const resumed = await t.graphql(`mutation($id: ID!) { resumeNode(id: $id) { node { status } } }`, {
    id: nodeId,
  });
  expect(resumed.data!.resumeNode.node.status).toBe('READY');
  expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
});

it('a run needing more slots than the cluster has waits, saying how many it needs', async () => {
  await t.createJob({
    name: 'too-wide',
    pipeline: {
      env: { parallelism: 3 },
      source: [{ plugin_name: 'FakeSource', 'row.num': 5 }],
      sink: [{ plugin_name: 'Blackhole' }],
    },
  });
  const runId = await t.start('too-wide');
  await new Promise((r) => setTimeout(r, 600));
  const rows = await t.database.db.select().from(assignments).where(eq(assignments.runId, runId));
  expect(rows.every((a) => a.status === 'CREATED')).toBe(true);
  expect(rows[0]!.waitingReason).toMatch(/needs 3 free slot\(s\).*2 free in the cluster/);
  await t.graphql({ contract: 'CancelJob' }, { runId });
  expect((await t.waitForRun(runId, ['CANCELED'])).status).toBe('CANCELED');
});
