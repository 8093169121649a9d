// Everything a node needs to execute one claimed assignment, loaded in a few statements.
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  assignments,
  checkpoints,
  jobs,
  jobVersions,
  runs,
  subtasks,
  vertexEdges,
  vertices,
} from '../../db/schema/index.ts';

export async function loadAssignmentContext(database: Database, assignmentId: string) {
  const { db } = database;
  const [row] = await db
    .select({ assignment: assignments, run: runs, version: jobVersions, job: jobs })
    .from(assignments)
    .innerJoin(runs, eq(runs.id, assignments.runId))
    .innerJoin(jobVersions, eq(jobVersions.id, runs.jobVersionId))
    .innerJoin(jobs, eq(jobs.id, runs.jobId))
    .where(eq(assignments.id, assignmentId));
  if (!row) return undefined;
  const [vertexRows, edgeRows, subtaskRows] = await Promise.all([
    db
      .select()
      .from(vertices)
      .where(eq(vertices.jobVersionId, row.version.id))
      .orderBy(asc(vertices.position)),
    db.select().from(vertexEdges).where(eq(vertexEdges.jobVersionId, row.version.id)),
    db.select().from(subtasks).where(eq(subtasks.assignmentId, assignmentId)),
  ]);
  const restoredFrom = row.run.restoredFromId
    ? (await db.select().from(checkpoints).where(eq(checkpoints.id, row.run.restoredFromId)))[0]
    : undefined;
  return { ...row, vertices: vertexRows, edges: edgeRows, subtasks: subtaskRows, restoredFrom };
}

export type AssignmentContext = NonNullable<Awaited<ReturnType<typeof loadAssignmentContext>>>;
