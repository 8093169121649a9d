// An empty PostgreSQL database for a Jdbc source or sink to reach (never jobgate's own database,
// which the Jdbc plugins refuse by server identity), or for a test that migrates one itself. On
// TEST_DATABASE_URL runs its name carries the run id, so the global teardown drops it even if the
// test does not get to: every database a test makes goes through here or createPostgresDatabase.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';

/** The server the scratch databases live on: TEST_DATABASE_URL, else the local default. */
export const scratchServerUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function scratchServerReachable(): Promise<boolean> {
  const probe = postgres(scratchServerUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const runId = process.env.TEST_DATABASE_URL ? inject('pgRunId') : 'local';
  const name = `jobgate_scratch_${runId}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(scratchServerUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(scratchServerUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const a = postgres(scratchServerUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
