import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { NODE_STATUSES, NodeStatus } from '../../lib/status.ts';
import { at, createdAt, oneOf } from './columns.ts';

export const clusters = pgTable('clusters', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  createdAt: createdAt(),
  /** The coordinator's fencing term: a new leader increments it, and every coordinator write checks
   * that it still holds the term it read, so a leader that lost its lock cannot act. */
  leaderTerm: bigint('leader_term', { mode: 'number' }).notNull().default(0),
});

/** A worker process. `status` is what the node or coordinator last wrote; readers also treat a node
 * whose heartbeat is older than the timeout as DOWN. */
export const nodes = pgTable(
  'nodes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clusterId: uuid('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    host: text('host').notNull(),
    pid: integer('pid'),
    status: text('status').$type<(typeof NODE_STATUSES)[number]>().notNull().default(NodeStatus.READY),
    slots: integer('slots').notNull(),
    tags: jsonb('tags').$type<Record<string, string>>().notNull().default({}),
    version: text('version').notNull(),
    registeredAt: createdAt(),
    lastHeartbeatAt: at('last_heartbeat_at').notNull().defaultNow(),
    deregisteredAt: at('deregistered_at'),
  },
  (t) => [
    check('nodes_status_check', oneOf(t.status, NODE_STATUSES)),
    check('nodes_slots_check', sql`${t.slots} >= 0 and ${t.slots} <= 1024`),
    index('nodes_cluster_idx').on(t.clusterId, t.status),
    uniqueIndex('nodes_cluster_name_live_idx')
      .on(t.clusterId, t.name)
      .where(sql`${t.deregisteredAt} is null`),
  ],
);
