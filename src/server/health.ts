import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { migrationState } from '../db/migrate.ts';

export interface HealthHandlers {
  /** /healthz: the process answers. */
  healthz(): Response;
  /** /readyz: the database answers and has every migration applied. */
  readyz(): Promise<Response>;
}

export function createHealthHandlers(database: Database): HealthHandlers {
  return {
    healthz: () => Response.json({ status: 'ok' }),
    async readyz() {
      try {
        await database.execute(sql`select 1`);
        const { shipped, applied } = await migrationState(database);
        const ready = applied >= shipped;
        return Response.json(
          {
            status: ready ? 'ready' : 'migrations pending',
            database: database.kind,
            migrations: { shipped, applied },
          },
          { status: ready ? 200 : 503 },
        );
      } catch (err) {
        return Response.json(
          { status: 'database unreachable', error: (err as Error).message },
          { status: 503 },
        );
      }
    },
  };
}
