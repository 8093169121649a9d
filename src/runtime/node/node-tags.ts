import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, nodes, type NodeRow } from '../../db/schema/index.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';

/** Limits on a node's tags: how many, and how long a key and a value may be. */
export const NODE_TAG_LIMITS = { count: 32, keyLength: 64, valueLength: 256 } as const;

/** The tags as given, when they are an object of at most 32 string values with keys of 1 to 64
 * characters and values of at most 256; a BadInputError naming the first problem otherwise. */
export function checkNodeTags(tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    throw new BadInputError('tags: must be an object of string values', { path: 'tags' });
  const entries = Object.entries(tags);
  if (entries.length > NODE_TAG_LIMITS.count)
    throw new BadInputError(`tags: at most ${NODE_TAG_LIMITS.count} tags`, { path: 'tags' });
  const checked: Record<string, string> = {};
  for (const [key, value] of entries) {
    const shown = JSON.stringify(key.slice(0, 60));
    if (key.length === 0 || key.length > NODE_TAG_LIMITS.keyLength)
      throw new BadInputError(`tags: a key must have 1 to ${NODE_TAG_LIMITS.keyLength} characters`, {
        path: 'tags',
      });
    if (typeof value !== 'string')
      throw new BadInputError(`tags.${shown}: must be a string`, { path: `tags.${key.slice(0, 60)}` });
    if (value.length > NODE_TAG_LIMITS.valueLength)
      throw new BadInputError(`tags.${shown}: at most ${NODE_TAG_LIMITS.valueLength} characters`, {
        path: `tags.${key.slice(0, 60)}`,
      });
    checked[key] = value;
  }
  return checked;
}

/**
 * Replaces a registered node's tags (an empty object clears them); placement reads them from the
 * row, so the next placement round honours them. Audited as `node:tags`.
 */
export async function setNodeTags(
  database: Database,
  nodeId: string,
  tags: unknown,
  actor: string,
): Promise<NodeRow> {
  const checked = checkNodeTags(tags);
  return database.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(nodes)
      .set({ tags: checked })
      .where(and(eq(nodes.id, nodeId), isNull(nodes.deregisteredAt)))
      .returning();
    if (!updated) throw new NotFoundError('node', nodeId);
    await tx.insert(auditEvents).values({ actor, action: 'node:tags', target: nodeId });
    return updated;
  });
}
