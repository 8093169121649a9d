// Two `jobgate node` processes on one PostgreSQL share the subtasks of a parallelism-4 job.
import { afterAll, describe, expect, it } from 'vitest';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

describe.skipIf(!usingPostgres)('scale-out on PostgreSQL (TEST_DATABASE_URL)', () => {
  let t: TestRuntime | undefined;
  const nodes: JobgateProcess[] = [];
  afterAll(async () => {
    await t?.close();
    expect(await killLeftovers()).toBe(0);
  });

  it('two node processes each run two of the four subtasks, and deregister on SIGTERM', async () => {
    t = await createTestRuntime({ node: false }); // this process only coordinates
    const url = t.testDb.url!;
    for (const name of ['worker-a', 'worker-b']) {
      const p = startJobgate(['node', '--database-url', url, '--slots', '2', '--name', name]);
      nodes.push(p);
      await p.waitFor(/jobgate node worker-[ab] ready/);
    }
    await t.createJob({
      name: 'spread',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 4 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 50_000, 'rows.per.second': 50_000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('spread');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'], 60_000)).status).toBe('FINISHED');
    const res = await t.graphql({ contract: 'Run' }, { id: runId });
    const placement = res.data!.run.vertices[0].subtasks.map((s: any) => s.node.name).sort();
    expect(placement).toEqual(['worker-a', 'worker-a', 'worker-b', 'worker-b']);
    for (const p of nodes) expect(await p.stop('SIGTERM')).toBe(0);
    const clusters = await t.graphql({ contract: 'Clusters' });
    expect(clusters.data!.clusters[0].nodes).toEqual([]);
  }); // two node processes start through tsx: the processes project's timeout is sized for them
});
if (!usingPostgres)
  it.skip('scale-out is skipped: set TEST_DATABASE_URL to run two node processes on PostgreSQL', () => {});
