// Node membership: metrics, draining, and a run that waits for a slot and says why.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assignments, metricsCurrent } from '../../src/db/schema/index.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until, wholeTicks } from '../support/wait.ts';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime({ slots: 2 });
});
afterAll(() => t.close());

it('a node reports CPU, memory and slots as metrics', async () => {
  const nodeId = t.runtime.node!.id;
  const names = await until('the node to report its nine metrics', async () => {
    const rows = await t.database.db
      .select()
      .from(metricsCurrent)
      .where(eq(metricsCurrent.key, `node:${nodeId}`));
    return rows.length >= 9 && rows.map((r) => r.name).sort();
  });
  expect(names).toEqual([
    'cpuCores',
    'cpuPercent',
    'heapTotalBytes',
    'heapUsedBytes',
    'memoryFreeBytes',
    'memoryRssBytes',
    'memoryTotalBytes',
    'slotsTotal',
    'slotsUsed',
  ]);
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
  // Placement writes why it left the assignment waiting: the fact that it looked and placed nothing.
  const waiting = await until('placement to say why the run waits', async () => {
    const [row] = await t.database.db.select().from(assignments).where(eq(assignments.runId, runId));
    return row?.waitingReason ? row : undefined;
  });
  expect(waiting).toMatchObject({ status: 'CREATED', nodeId: null });
  expect(waiting.waitingReason).toMatch(/no READY node in the cluster/);
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
  const rows = await until('placement to say why the run waits', async () => {
    const found = await t.database.db.select().from(assignments).where(eq(assignments.runId, runId));
    return found.length > 0 && found.every((a) => a.waitingReason) && found;
  });
  expect(rows).toHaveLength(3);
  expect(rows.every((a) => a.status === 'CREATED')).toBe(true);
  expect(rows[0]!.waitingReason).toMatch(/needs 3 free slot\(s\).*2 free in the cluster/);
  // The API says it on the run...
  const waiting = await t.graphql(`query($id: ID!) { run(id: $id) { status waitingReason } }`, { id: runId });
  expect(waiting.data!.run.waitingReason).toBe(rows[0]!.waitingReason);
  // ...and the run's log, once however many ticks it waits.
  const waitLines = async () => {
    const res = await t.graphql(
      `query($id: ID!) { logLines(runId: $id, level: WARN) { nodes { message } } }`,
      { id: runId },
    );
    return (res.data!.logLines.nodes as { message: string }[]).filter((l) => l.message.startsWith('waiting'));
  };
  await until('the waiting reason in the run log', async () => (await waitLines()).length > 0);
  await wholeTicks(t.runtime.coordinator);
  expect((await waitLines()).map((l) => l.message)).toEqual([`waiting for slots: ${rows[0]!.waitingReason}`]);
  await t.graphql({ contract: 'CancelJob' }, { runId });
  expect((await t.waitForRun(runId, ['CANCELED'])).status).toBe('CANCELED');
  const ended = await t.graphql(`query($id: ID!) { run(id: $id) { waitingReason } }`, { id: runId });
  expect(ended.data!.run.waitingReason).toBeNull();
});
