// Seeds a job with a run of a chosen shape straight into the database, for read-API tests.
import type { Database } from '../../src/db/client.ts';
import {
  assignments,
  checkpoints,
  jobs,
  jobVersions,
  logLines,
  metricsCurrent,
  nodes,
  runExceptions,
  runs,
  subtasks,
  vertexEdges,
  vertices,
} from '../../src/db/schema/index.ts';
import { newRunId } from '../../src/lib/ids.ts';
import { metricKey } from '../../src/lib/metric-keys.ts';
import { ensureCluster } from '../../src/runtime/index.ts';

export interface SeededRun {
  jobId: string;
  jobName: string;
  runId: string;
  nodeIds: string[];
  vertexIds: string[];
  checkpointIds: string[];
}

export async function seedRun(
  database: Database,
  shape: {
    name: string;
    vertices: number;
    parallelism: number;
    checkpoints: number;
    logLines?: number;
    nodes?: number;
  },
): Promise<SeededRun> {
  const { db } = database;
  const clusterId = await ensureCluster(database, 'default');
  const nodeRows = await db
    .insert(nodes)
    .values(
      Array.from({ length: shape.nodes ?? 2 }, (_, i) => ({
        clusterId,
        name: `${shape.name}-node-${i}`,
        host: 'localhost',
        slots: 4,
        tags: { zone: i % 2 ? 'b' : 'a' },
        version: 'test',
      })),
    )
    .returning({ id: nodes.id });
  const nodeIds = nodeRows.map((n) => n.id);
  const [job] = await db.insert(jobs).values({ name: shape.name, clusterId }).returning({ id: jobs.id });
  const [version] = await db
    .insert(jobVersions)
    .values({
      jobId: job!.id,
      version: 1,
      kind: 'PIPELINE',
      mode: 'STREAMING',
      parallelism: shape.parallelism,
      definition: { env: { 'job.mode': 'STREAMING' } },
    })
    .returning({ id: jobVersions.id });
  const vertexRows = await db
    .insert(vertices)
    .values(
      Array.from({ length: shape.vertices }, (_, i) => ({
        jobVersionId: version!.id,
        name: `v${i}`,
        position: i,
        kind:
          i === 0
            ? ('SOURCE' as const)
            : i === shape.vertices - 1
              ? ('SINK' as const)
              : ('TRANSFORM' as const),
        plugin: i === 0 ? 'FakeSource' : i === shape.vertices - 1 ? 'Console' : 'Copy',
        parallelism: shape.parallelism,
      })),
    )
    .returning({ id: vertices.id });
  const vertexIds = vertexRows.map((v) => v.id);
  if (vertexIds.length > 1) {
    await db
      .insert(vertexEdges)
      .values(
        vertexIds
          .slice(1)
          .map((to, i) => ({ jobVersionId: version!.id, fromVertexId: vertexIds[i]!, toVertexId: to })),
      );
  }
  const runId = newRunId();
  const started = new Date(Date.now() - 60_000);
  await db.insert(runs).values({
    id: runId,
    jobId: job!.id,
    jobVersionId: version!.id,
    status: 'RUNNING',
    parallelism: shape.parallelism,
    startedAt: started,
    logSeq: shape.logLines ?? 0,
  });
  const assignmentRows = await db
    .insert(assignments)
    .values(
      Array.from({ length: shape.parallelism }, (_, i) => ({
        runId,
        name: `pipeline-${i}`,
        index: i,
        status: 'RUNNING' as const,
        nodeId: nodeIds[i % nodeIds.length]!,
      })),
    )
    .returning({ id: assignments.id });
  await db.insert(subtasks).values(
    vertexIds.flatMap((vertexId) =>
      Array.from({ length: shape.parallelism }, (_, i) => ({
        runId,
        vertexId,
        assignmentId: assignmentRows[i]!.id,
        index: i,
        status: 'RUNNING' as const,
        nodeId: nodeIds[i % nodeIds.length]!,
        startedAt: started,
      })),
    ),
  );
  const checkpointRows =
    shape.checkpoints > 0
      ? await db
          .insert(checkpoints)
          .values(
            Array.from({ length: shape.checkpoints }, (_, i) => ({
              runId,
              number: i + 1,
              kind: i % 10 === 9 ? ('SAVEPOINT' as const) : ('CHECKPOINT' as const),
              status: 'COMPLETED' as const,
              expectedAcks: shape.parallelism,
              triggeredAt: new Date(started.getTime() + i * 1000),
              completedAt: new Date(started.getTime() + i * 1000 + 15),
              durationMs: 15,
              stateSize: 1024 * (i + 1),
            })),
          )
          .returning({ id: checkpoints.id })
      : [];
  await db.insert(metricsCurrent).values(
    vertexIds.flatMap((vertexId, i) =>
      ['numRecordsIn', 'numRecordsOut', 'numBytesOut'].map((name) => ({
        key: metricKey.vertex(runId, vertexId),
        name,
        scope: 'VERTEX' as const,
        runId,
        vertexId,
        value: 1000 * (i + 1),
      })),
    ),
  );
  await db.insert(runExceptions).values({ runId, message: 'boom in v0', vertexName: 'v0', subtaskIndex: 0 });
  if (shape.logLines) {
    await db.insert(logLines).values(
      Array.from({ length: shape.logLines }, (_, i) => ({
        runId,
        seq: i + 1,
        at: new Date(started.getTime() + i),
        level: i % 5 === 4 ? 50 : 30,
        vertex: `v${i % shape.vertices}`,
        subtaskIndex: i % shape.parallelism,
        nodeName: `${shape.name}-node-0`,
        message: `line ${i + 1}${i % 7 === 0 ? ' needle' : ''}`,
      })),
    );
  }
  return {
    jobId: job!.id,
    jobName: shape.name,
    runId,
    nodeIds,
    vertexIds,
    checkpointIds: checkpointRows.map((c) => c.id),
  };
}
