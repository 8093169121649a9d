import { sql } from 'drizzle-orm';
import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/client.ts';
import { migrationState } from '../db/migrate.ts';

/** /healthz: the process answers. /readyz: the database answers and has every migration applied. */
export function useHealth(database: Database): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') {
        endResponse(fetchAPI.Response.json({ status: 'ok' }));
        return;
      }
      if (url.pathname !== '/readyz') return;
      try {
        await database.execute(sql`select 1`);
        const { shipped, applied } = await migrationState(database);
        const ready = applied >= shipped;
        endResponse(
          fetchAPI.Response.json(
            {
              status: ready ? 'ready' : 'migrations pending',
              database: database.kind,
              migrations: { shipped, applied },
            },
            { status: ready ? 200 : 503 },
          ),
        );
      } catch (err) {
        endResponse(
          fetchAPI.Response.json(
            { status: 'database unreachable', error: (err as Error).message },
            { status: 503 },
          ),
        );
      }
    },
  };
}
