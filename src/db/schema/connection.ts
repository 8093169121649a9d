import { sql } from 'drizzle-orm';
import { check, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, createdAt } from './columns.ts';

export const CONNECTION_KINDS = ['postgres'] as const;

/**
 * A named external system a job may reach (Airflow's connections, Dagster's resources, Keeper's
 * `connection` endpoints). Admins define them; jobs refer to them by name. `url` carries no
 * credentials; `secret` is the credentials (password and anything else secret) encrypted with the
 * process's secret key (AES-256-GCM, `v1:` + base64 of iv, tag and ciphertext), never returned by any
 * API and never logged.
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull().unique(),
    kind: text('kind').$type<(typeof CONNECTION_KINDS)[number]>().notNull().default('postgres'),
    url: text('url').notNull(),
    username: text('username'),
    secret: text('secret'),
    /** Options that are not secret (e.g. connect timeout), shown to every reader. */
    options: jsonb('options').$type<Record<string, string>>().notNull().default({}),
    description: text('description'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('connections_kind_check', sql`${t.kind} in ('postgres')`),
    check('connections_name_check', sql`${t.name} ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'`),
  ],
);
