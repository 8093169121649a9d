// Per-request DataLoaders: every nesting level of a query costs one statement, whatever its width.
import DataLoader from 'dataloader';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import {
  assignments,
  checkpoints,
  clusters,
  jobs,
  jobVersions,
  metricsCurrent,
  nodes,
  runExceptions,
  runs,
  subtasks,
  vertexEdges,
  vertices,
} from '../db/schema/index.ts';

export type ClusterRow = typeof clusters.$inferSelect;
export type NodeRow = typeof nodes.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type JobVersionRow = typeof jobVersions.$inferSelect;
export type VertexRow = typeof vertices.$inferSelect;
export type EdgeRow = typeof vertexEdges.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type SubtaskRow = typeof subtasks.$inferSelect;
export type CheckpointRow = typeof checkpoints.$inferSelect;
export type ExceptionRow = typeof runExceptions.$inferSelect;
export type MetricRow = typeof metricsCurrent.$inferSelect;

/** A loader of one row per key (null when missing). */
function one<K, V>(fetch: (keys: K[]) => Promise<V[]>, keyOf: (row: V) => K): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const rows = await fetch([...keys]);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A loader of every row per key, in the order the fetch returns them. */
function many<K, V>(fetch: (keys: K[]) => Promise<V[]>, keyOf: (row: V) => K): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const rows = await fetch([...keys]);
    const byKey = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const row of rows) byKey.get(keyOf(row))?.push(row);
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

export function createLoaders(database: Database) {
  const { db } = database;
  return {
    cluster: one(
      (ids: string[]) => db.select().from(clusters).where(inArray(clusters.id, ids)),
      (r) => r.id,
    ),
    node: one(
      (ids: string[]) => db.select().from(nodes).where(inArray(nodes.id, ids)),
      (r) => r.id,
    ),
    job: one(
      (ids: string[]) => db.select().from(jobs).where(inArray(jobs.id, ids)),
      (r) => r.id,
    ),
    jobVersion: one(
      (ids: string[]) => db.select().from(jobVersions).where(inArray(jobVersions.id, ids)),
      (r) => r.id,
    ),
    /** The version a job currently points at. */
    currentVersionOfJob: one(
      (ids: string[]) =>
        db
          .select({ v: jobVersions })
          .from(jobVersions)
          .innerJoin(jobs, and(eq(jobs.id, jobVersions.jobId), eq(jobs.currentVersion, jobVersions.version)))
          .where(inArray(jobs.id, ids))
          .then((rows) => rows.map((r) => r.v)),
      (r) => r.jobId,
    ),
    run: one(
      (ids: string[]) => db.select().from(runs).where(inArray(runs.id, ids)),
      (r) => r.id,
    ),
    checkpoint: one(
      (ids: string[]) => db.select().from(checkpoints).where(inArray(checkpoints.id, ids)),
      (r) => r.id,
    ),
    nodesByCluster: many(
      (ids: string[]) =>
        db
          .select()
          .from(nodes)
          .where(and(inArray(nodes.clusterId, ids), isNull(nodes.deregisteredAt)))
          .orderBy(asc(nodes.name), asc(nodes.id)),
      (r) => r.clusterId,
    ),
    verticesByVersion: many(
      (ids: string[]) =>
        db.select().from(vertices).where(inArray(vertices.jobVersionId, ids)).orderBy(asc(vertices.position)),
      (r) => r.jobVersionId,
    ),
    edgesByVersion: many(
      (ids: string[]) => db.select().from(vertexEdges).where(inArray(vertexEdges.jobVersionId, ids)),
      (r) => r.jobVersionId,
    ),
    subtasksByRun: many(
      (ids: string[]) =>
        db.select().from(subtasks).where(inArray(subtasks.runId, ids)).orderBy(asc(subtasks.index)),
      (r) => r.runId,
    ),
    exceptionsByRun: many(
      (ids: string[]) =>
        db
          .select()
          .from(runExceptions)
          .where(inArray(runExceptions.runId, ids))
          .orderBy(asc(runExceptions.id)),
      (r) => r.runId,
    ),
    metricsByKey: many(
      (keys: string[]) =>
        db
          .select()
          .from(metricsCurrent)
          .where(inArray(metricsCurrent.key, keys))
          .orderBy(asc(metricsCurrent.name)),
      (r) => r.key,
    ),
    latestRunByJob: one(
      (ids: string[]) =>
        db
          .selectDistinctOn([runs.jobId])
          .from(runs)
          .where(inArray(runs.jobId, ids))
          .orderBy(runs.jobId, sql`${runs.num} desc`),
      (r) => r.jobId,
    ),
    /** Slots taken on each node: assignments placed there and not yet ended. */
    slotsUsedByNode: new DataLoader<string, number>(async (ids) => {
      const rows = await db
        .select({ nodeId: assignments.nodeId, used: sql<number>`count(*)::int` })
        .from(assignments)
        .where(
          and(
            inArray(assignments.nodeId, [...ids]),
            inArray(assignments.status, ['SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING']),
          ),
        )
        .groupBy(assignments.nodeId);
      const used = new Map(rows.map((r) => [r.nodeId, Number(r.used)]));
      return ids.map((id) => used.get(id) ?? 0);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
