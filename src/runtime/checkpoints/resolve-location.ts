// From what a Flink client keeps of a savepoint (its location, passed back as savepointPath) to the
// checkpoint it names. Locations are the ones ack-checkpoint.ts writes; a bare id is accepted too.
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { checkpoints, type CheckpointRow } from '../../db/schema/index.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { isRunId, isUuid } from '../../lib/ids.ts';

const SAVEPOINT_LOCATION = /^jobgate:\/\/savepoints\/([0-9a-f-]{36})$/i;
const CHECKPOINT_LOCATION = /^jobgate:\/\/runs\/([0-9a-f]{32})\/checkpoints\/(\d{1,9})$/;

/**
 * The checkpoint at `location`: `jobgate://savepoints/<id>`, `jobgate://runs/<run>/checkpoints/<n>`
 * or a bare checkpoint id (a trailing `/` or `/_metadata`, as Flink paths carry, is ignored).
 * NOT_FOUND when nothing is there; BAD_USER_INPUT naming `path` when it is no location at all.
 */
export async function resolveCheckpointLocation(
  database: Database,
  location: string,
  path: string,
): Promise<CheckpointRow> {
  const text = location.trim().replace(/(\/_metadata)?\/*$/, '');
  const savepointId = isUuid(text) ? text : SAVEPOINT_LOCATION.exec(text)?.[1]?.toLowerCase();
  if (savepointId && isUuid(savepointId)) {
    const [row] = await database.db.select().from(checkpoints).where(eq(checkpoints.id, savepointId));
    if (!row) throw new NotFoundError('savepoint', location);
    return row;
  }
  const numbered = CHECKPOINT_LOCATION.exec(text);
  if (numbered && isRunId(numbered[1]!)) {
    const [row] = await database.db
      .select()
      .from(checkpoints)
      .where(and(eq(checkpoints.runId, numbered[1]!), eq(checkpoints.number, Number(numbered[2]))));
    if (!row) throw new NotFoundError('checkpoint', location);
    return row;
  }
  const shown = JSON.stringify(location.length > 100 ? `${location.slice(0, 100)}…` : location);
  throw new BadInputError(
    `${path}: ${shown} is not a jobgate savepoint location (jobgate://savepoints/<id>, jobgate://runs/<run>/checkpoints/<n>, or a savepoint id)`,
    { path },
  );
}
