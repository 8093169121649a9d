// Which savepoint or checkpoint a new run of a job may start from: the rule every way in shares.
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { checkpoints, jobs, jobVersions, runs, vertices } from '../../db/schema/index.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { CheckpointStatus } from '../../lib/status.ts';
import { findSource } from '../plugins/index.ts';
import { restoredSplitCount } from '../plugins/restored-splits.ts';
import { checkpointPositions } from './ack-checkpoint.ts';

/**
 * Checks that checkpoint `id` can restore a new run of job `jobId`: it exists, COMPLETED, belongs to
 * a run of this job, holds state only for sources the job's current version still has (unless
 * `allowNonRestoredState`), and each source's options still give the splits it was saved with (a
 * restore keeps them, whatever the parallelism: restored-splits.ts). Refusals name `path` (the input
 * field that carried the id).
 */
export async function checkRestorePoint(
  database: Database,
  jobId: string,
  id: string,
  options: { allowNonRestoredState: boolean; path: string },
): Promise<string> {
  const { path } = options;
  if (!isUuid(id))
    throw new BadInputError(`${path}: ${JSON.stringify(id.slice(0, 60))} is not a savepoint id`, { path });
  const [checkpoint] = await database.db
    .select({ status: checkpoints.status, jobId: runs.jobId })
    .from(checkpoints)
    .innerJoin(runs, eq(runs.id, checkpoints.runId))
    .where(eq(checkpoints.id, id));
  if (!checkpoint) throw new NotFoundError('savepoint', id);
  if (checkpoint.status !== CheckpointStatus.COMPLETED) {
    throw new BadInputError(`${path}: savepoint ${id} is ${checkpoint.status}, not COMPLETED`, { path });
  }
  if (checkpoint.jobId !== jobId)
    throw new BadInputError(`${path}: savepoint ${id} belongs to another job`, { path });
  const positions = await checkpointPositions(database, id);
  const sources = await database.db
    .select({ name: vertices.name, plugin: vertices.plugin, config: vertices.config })
    .from(jobs)
    .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, jobs.currentVersion)))
    .innerJoin(vertices, eq(vertices.jobVersionId, jobVersions.id))
    .where(and(eq(jobs.id, jobId), eq(vertices.kind, 'SOURCE')));
  const names = new Set(sources.map((v) => v.name));
  const orphaned = Object.keys(positions).filter((name) => !names.has(name));
  if (orphaned.length && !options.allowNonRestoredState) {
    throw new BadInputError(
      `${path}: the savepoint holds state for ${orphaned.map((n) => JSON.stringify(n)).join(', ')}, which the job no longer has; pass allowNonRestoredState: true to start without it`,
      { path },
    );
  }
  for (const source of sources) {
    const saved = positions[source.name];
    const plugin = source.plugin ? findSource(source.plugin) : undefined;
    if (!saved || !plugin) continue;
    const count = restoredSplitCount(source.name, saved);
    let planned: number;
    try {
      planned = await plugin.splitCount(source.config, count);
    } catch {
      continue; // splits that need the files to count are checked when the run opens them
    }
    if (planned !== count) {
      throw new BadInputError(
        `${path}: source ${JSON.stringify(source.name)} was saved with ${count} split(s) but its options now give ${planned}; a restore keeps the splits of the savepoint (set split.num back to ${count}, or start without restoring)`,
        { path },
      );
    }
  }
  return id;
}
