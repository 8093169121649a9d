import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from './columns.ts';

/** Installation-wide switches that every gateway over the database reads (e.g. whether job
 * submissions are paused, Dkron's `/v1/pause`): one row per key, changed in place; who changed it
 * and when is also in audit_events, which retention trims, so the value itself lives here. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: at('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});
