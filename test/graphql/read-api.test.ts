// The contract's queries against a seeded database, on PGlite or the PostgreSQL of TEST_DATABASE_URL.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodes } from '../../src/db/schema/index.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun, type SeededRun } from '../support/fixtures.ts';

let t: TestApp;
let seeded: SeededRun;

beforeAll(async () => {
  t = await createTestApp();
  seeded = await seedRun(t.database, {
    name: 'orders-etl',
    vertices: 3,
    parallelism: 2,
    checkpoints: 25,
    logLines: 1200,
  });
  await seedRun(t.database, { name: 'billing-sync', vertices: 2, parallelism: 1, checkpoints: 0 });
});
afterAll(() => t.close());
// The seeded nodes heartbeat once, at seeding; on a busy machine that may be longer ago than the 5 s
// timeout by the time a test runs, so every test starts with all of them live.
beforeEach(async () => {
  await t.database.db.update(nodes).set({ lastHeartbeatAt: new Date() });
});

describe('contract queries', () => {
  it('Overview counts clusters, live nodes, slots and runs', async () => {
    const res = await t.graphql({ contract: 'Overview' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.overview).toMatchObject({
      clusters: 1,
      nodes: 4,
      slotsTotal: 16,
      // orders-etl holds 2 assignments, billing-sync 1
      slotsAvailable: 13,
      runsRunning: 2,
      runsFinished: 0,
      runsFailed: 0,
      runsCanceled: 0,
    });
    expect(res.data!.overview.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('Clusters lists nodes with free slots and tags; a silent node is DOWN', async () => {
    await t.database.db
      .update(nodes)
      .set({ lastHeartbeatAt: new Date(Date.now() - 60_000) })
      .where(eq(nodes.id, seeded.nodeIds[1]!));
    const res = await t.graphql({ contract: 'Clusters' });
    expect(res.errors).toBeUndefined();
    const cluster = res.data!.clusters[0];
    expect(cluster.name).toBe('default');
    const byName = Object.fromEntries(cluster.nodes.map((n: any) => [n.name, n]));
    expect(byName['orders-etl-node-0']).toMatchObject({
      status: 'READY',
      slots: 4,
      slotsFree: 3,
      tags: [{ key: 'zone', value: 'a' }],
    });
    expect(byName['orders-etl-node-1']).toMatchObject({ status: 'DOWN', slotsFree: 0 });
    expect(Date.parse(byName['orders-etl-node-0'].lastHeartbeatAt)).toBeGreaterThan(Date.now() - 60_000);
    const overview = await t.graphql({ contract: 'Overview' });
    expect(overview.data!.overview.nodes).toBe(3);
  });

  it('Job returns the job with its runs newest first', async () => {
    const res = await t.graphql({ contract: 'Job' }, { name: 'orders-etl' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.job).toMatchObject({
      name: 'orders-etl',
      mode: 'STREAMING',
      schedule: null,
      disabled: false,
    });
    expect(res.data!.job.runs.nodes).toEqual([
      expect.objectContaining({ id: seeded.runId, status: 'RUNNING', endedAt: null }),
    ]);
    expect(res.data!.job.runs.pageInfo.hasNextPage).toBe(false);
  });

  it('Job of an unknown name is NOT_FOUND', async () => {
    const res = await t.graphql({ contract: 'Job' }, { name: 'nope' });
    expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(res.errors![0]!.message).toContain('"nope"');
  });

  it('Jobs pages by name with a total count and the latest run', async () => {
    const first = await t.graphql({ contract: 'Jobs' }, { first: 1 });
    expect(first.errors).toBeUndefined();
    expect(first.data!.jobs.totalCount).toBe(2);
    expect(first.data!.jobs.nodes.map((j: any) => j.name)).toEqual(['billing-sync']);
    expect(first.data!.jobs.pageInfo.hasNextPage).toBe(true);
    const second = await t.graphql(
      { contract: 'Jobs' },
      { first: 1, after: first.data!.jobs.pageInfo.endCursor },
    );
    expect(second.data!.jobs.nodes).toEqual([
      {
        id: seeded.jobId,
        name: 'orders-etl',
        mode: 'STREAMING',
        latestRun: { id: seeded.runId, status: 'RUNNING' },
      },
    ]);
    expect(second.data!.jobs.pageInfo.hasNextPage).toBe(false);
  });

  it('jobs filters by name, latest run status and cluster', async () => {
    const q = `query($name: String, $status: RunStatus, $cluster: String) {
      jobs(name: $name, status: $status, cluster: $cluster) { totalCount nodes { name } } }`;
    expect((await t.graphql(q, { name: 'ETL' })).data!.jobs.nodes).toEqual([{ name: 'orders-etl' }]);
    expect((await t.graphql(q, { status: 'FAILED' })).data!.jobs.totalCount).toBe(0);
    expect((await t.graphql(q, { cluster: 'default' })).data!.jobs.totalCount).toBe(2);
    expect((await t.graphql(q, { cluster: 'elsewhere' })).data!.jobs.totalCount).toBe(0);
  });

  it('a malformed cursor is BAD_USER_INPUT naming the argument', async () => {
    const res = await t.graphql({ contract: 'Jobs' }, { first: 1, after: 'garbage' });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', inputPath: 'after' });
    const big = await t.graphql({ contract: 'Jobs' }, { first: 100000 });
    expect(big.errors![0]!.message).toContain('first must be between 0 and 1000');
  });

  it('Run returns vertices, subtasks, metrics, checkpoints and exceptions', async () => {
    const res = await t.graphql({ contract: 'Run' }, { id: seeded.runId });
    expect(res.errors).toBeUndefined();
    const run = res.data!.run;
    expect(run).toMatchObject({
      id: seeded.runId,
      status: 'RUNNING',
      endedAt: null,
      job: { name: 'orders-etl' },
    });
    expect(run.vertices.map((v: any) => [v.name, v.kind, v.plugin, v.parallelism, v.status])).toEqual([
      ['v0', 'SOURCE', 'FakeSource', 2, 'RUNNING'],
      ['v1', 'TRANSFORM', 'Copy', 2, 'RUNNING'],
      ['v2', 'SINK', 'Console', 2, 'RUNNING'],
    ]);
    expect(run.vertices[0].subtasks.map((s: any) => [s.index, s.status, s.attempt, s.node.id])).toEqual([
      [0, 'RUNNING', 0, seeded.nodeIds[0]],
      [1, 'RUNNING', 0, seeded.nodeIds[1]],
    ]);
    expect(run.vertices[1].metrics).toEqual([
      { name: 'numRecordsIn', value: 2000 },
      { name: 'numRecordsOut', value: 2000 },
    ]);
    expect(run.checkpoints.nodes).toHaveLength(20);
    expect(run.checkpoints.nodes[0]).toMatchObject({
      kind: 'CHECKPOINT',
      status: 'COMPLETED',
      durationMs: 15,
      stateSize: 25 * 1024,
    });
    expect(run.checkpoints.nodes.map((c: any) => c.kind).indexOf('SAVEPOINT')).toBe(5); // number 20
    expect(run.exceptions).toEqual([
      expect.objectContaining({ message: 'boom in v0', vertex: 'v0', subtaskIndex: 0 }),
    ]);
  });

  it('Run with a malformed id is BAD_USER_INPUT, an unknown one NOT_FOUND', async () => {
    expect((await t.graphql({ contract: 'Run' }, { id: 'xyz' })).errors![0]!.extensions!.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await t.graphql({ contract: 'Run' }, { id: 'a'.repeat(32) })).errors![0]!.extensions!.code).toBe(
      'NOT_FOUND',
    );
  });

  it('runs pages newest first and filters by job and status', async () => {
    const q = `query($job: String, $status: RunStatus, $after: String) {
      runs(first: 1, job: $job, status: $status, after: $after) { nodes { id job { name } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = await t.graphql(q);
    expect(page1.data!.runs.nodes[0].job.name).toBe('billing-sync');
    const page2 = await t.graphql(q, { after: page1.data!.runs.pageInfo.endCursor });
    expect(page2.data!.runs.nodes[0].id).toBe(seeded.runId);
    expect(page2.data!.runs.pageInfo.hasNextPage).toBe(false);
    expect((await t.graphql(q, { job: 'orders-etl' })).data!.runs.nodes[0].id).toBe(seeded.runId);
    expect((await t.graphql(q, { status: 'FINISHED' })).data!.runs.nodes).toEqual([]);
  });

  it('Logs pages by cursor without gaps and filters by level', async () => {
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await t.graphql({ contract: 'Logs' }, { runId: seeded.runId, after });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.logLines.nodes.map((l: any) => l.seq));
      if (!res.data!.logLines.pageInfo.hasNextPage) break;
      after = res.data!.logLines.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    const errors = await t.graphql({ contract: 'Logs' }, { runId: seeded.runId, level: 'ERROR' });
    expect(errors.data!.logLines.nodes).toHaveLength(240);
    expect(errors.data!.logLines.nodes.every((l: any) => l.level === 'ERROR')).toBe(true);
    expect(errors.data!.logLines.nodes[0]).toMatchObject({
      seq: 5,
      vertex: 'v1',
      subtaskIndex: 0,
      node: 'orders-etl-node-0',
    });
  });

  it('logLines last/before pages back from the newest line, oldest first within a page', async () => {
    const q = `query($runId: ID!, $last: Int, $before: String, $level: LogLevel) {
      logLines(runId: $runId, last: $last, before: $before, level: $level) {
        nodes { seq level } pageInfo { hasPreviousPage hasNextPage startCursor }
      }
    }`;
    const tail = await t.graphql(q, { runId: seeded.runId, last: 8 });
    expect(tail.errors).toBeUndefined();
    expect(tail.data!.logLines.nodes.map((l: any) => l.seq)).toEqual([
      1193, 1194, 1195, 1196, 1197, 1198, 1199, 1200,
    ]);
    expect(tail.data!.logLines.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const earlier = await t.graphql(q, {
      runId: seeded.runId,
      last: 3,
      before: tail.data!.logLines.pageInfo.startCursor,
    });
    expect(earlier.data!.logLines.nodes.map((l: any) => l.seq)).toEqual([1190, 1191, 1192]);
    expect(earlier.data!.logLines.pageInfo.hasNextPage).toBe(true);
    const lastErrors = await t.graphql(q, { runId: seeded.runId, last: 2, level: 'ERROR' });
    expect(lastErrors.data!.logLines.nodes.every((l: any) => l.level === 'ERROR')).toBe(true);
    expect(lastErrors.data!.logLines.nodes).toHaveLength(2);
    const both = await t.graphql(
      `{ logLines(runId: "${seeded.runId}", first: 2, last: 2) { nodes { seq } } }`,
    );
    expect(both.errors?.[0]).toMatchObject({
      message: 'give first/after or last/before, not both',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('logLines filters by vertex, subtask and text', async () => {
    const q = `query($runId: ID!) { logLines(runId: $runId, first: 1000, vertex: "v2", subtaskIndex: 0, search: "NEEDLE") {
      nodes { seq message vertex subtaskIndex } } }`;
    const res = await t.graphql(q, { runId: seeded.runId });
    const lines = res.data!.logLines.nodes;
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).toMatchObject({ vertex: 'v2', subtaskIndex: 0 });
      expect(l.message).toContain('needle');
    }
    // v2 is every 3rd line from seq 3, index 0 is every even seq; needle is every 7th from seq 1.
    const expected = Array.from({ length: 1200 }, (_, i) => i + 1).filter(
      (s) => (s - 1) % 3 === 2 && (s - 1) % 2 === 0 && (s - 1) % 7 === 0,
    );
    expect(lines.map((l: any) => l.seq)).toEqual(expected);
  });

  it('nodes and cluster(name) read the same nodes', async () => {
    await t.database.db
      .update(nodes)
      .set({ lastHeartbeatAt: new Date(Date.now() - 60_000) })
      .where(eq(nodes.id, seeded.nodeIds[1]!));
    const res = await t.graphql(
      `{ nodes(status: READY) { name cluster { name } } cluster(name: "default") { nodes { id } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.nodes.every((n: any) => n.cluster.name === 'default')).toBe(true);
    expect(res.data!.nodes).toHaveLength(3);
    expect(res.data!.cluster.nodes).toHaveLength(4);
  });
});
