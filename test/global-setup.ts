// Runs once per `vitest run`. With TEST_DATABASE_URL set, builds a migrated template database that
// each test file clones (CREATE DATABASE ... TEMPLATE), the way graphile-worker's tests do, and drops
// every database the run made at the end.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { databaseUrlFor } from './support/db-names.ts';

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return;
  // Unique per project too: each vitest project runs this setup, in the same process.
  const runId = `${process.pid}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const template = `jobgate_tmpl_${runId}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${template}"`);
  const templateUrl = databaseUrlFor(base, template);
  const db = await createDatabase({ url: templateUrl, maxConnections: 1 });
  await migrateDatabase(db, templateUrl);
  await db.close();
  project.provide('pgTemplate', template);
  project.provide('pgRunId', runId);

  return async () => {
    const made = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`jobgate_%${runId}%`}`;
    for (const { datname } of made) {
      await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    }
    await admin.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
    pgRunId: string;
  }
}
