// An in-process jobgate gateway over a fresh test database, called through yoga.fetch (no socket).
import { pino } from 'pino';
import type { Database } from '../../src/db/client.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import type { Role } from '../../src/lib/status.ts';
import {
  createEventFeed,
  createLogFeed,
  createMetricFeed,
  ensureCluster,
  type EventFeed,
  type FileGuard,
  type LogFeed,
  type MetricFeed,
} from '../../src/runtime/index.ts';
import { buildApp, type App, type AppOptions } from '../../src/server/app.ts';
import { DIALECTS } from '../../src/shim/index.ts';
import { contractOperation } from './contract.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { testSecrets } from './secrets.ts';

export const silentLogger = pino({ level: 'silent' });

/** Every dialect's own port off: tests reach dialects under /compat/<name>/ unless they name a port. */
const NO_DIALECT_PORTS: Record<string, number> = Object.fromEntries(DIALECTS.map((d) => [d.name, 0]));

/** A gateway to start on a real socket (127.0.0.1, port 0), auth on, over `database`; `overrides`
 * replace whole options (pass `settings` to change auth or the feed, `dialectPorts` to open a
 * dialect's own port; the dialects it does not name stay off). */
export function buildServedApp(database: Database, overrides: Partial<AppOptions> = {}): App {
  return buildApp({
    database,
    logger: silentLogger,
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: true,
      events: createEventFeed(database),
      logFeed: createLogFeed(database),
      metricFeed: createMetricFeed(database),
    },
    secrets: testSecrets,
    host: '127.0.0.1',
    port: 0,
    ...overrides,
    // A port named here opens; every other registered dialect stays off (its default port, 8080 or
    // 8081, may be in use by a parallel test or another gateway on the machine).
    dialectPorts: { ...NO_DIALECT_PORTS, ...overrides.dialectPorts },
  });
}

/** A served gateway whose feeds the test holds (to read their counts, or tune the log feed). */
export interface ServedWithFeeds {
  app: App;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  events: EventFeed;
  logFeed: LogFeed;
  metricFeed: MetricFeed;
  /** Stops the gateway, then closes the feeds. */
  close(): Promise<void>;
}

/** buildServedApp (auth on, shell commands off), started, with feeds made here: the log feed with
 * `logFeedOptions`. */
export async function serveWithFeeds(
  database: Database,
  logFeedOptions: Parameters<typeof createLogFeed>[1] = {},
): Promise<ServedWithFeeds> {
  const events = createEventFeed(database);
  const logFeed = createLogFeed(database, logFeedOptions);
  const metricFeed = createMetricFeed(database);
  const app = buildServedApp(database, {
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: false,
      events,
      logFeed,
      metricFeed,
    },
  });
  const baseUrl = await app.start();
  return {
    app,
    baseUrl,
    events,
    logFeed,
    metricFeed,
    close: async () => {
      await app.stop();
      await logFeed.close();
      await metricFeed.close();
      await events.close();
    },
  };
}

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface TestApp {
  testDb: TestDatabase;
  database: Database;
  app: App;
  /** Runs a query (or a contract operation by name, e.g. `contract: 'Run'`). */
  graphql<T = Record<string, any>>(
    query: string | { contract: string },
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T>>;
  token(role: Role): Promise<string>;
  close(): Promise<void>;
}

export async function createTestApp(
  options: {
    authEnabled?: boolean;
    heartbeatTimeoutMs?: number;
    onStatement?: (q: string) => void;
    /** The file roots job definitions may name (none: every path is refused). */
    files?: FileGuard;
  } = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase({ onStatement: options.onStatement });
  const { database } = testDb;
  await ensureCluster(database, 'default');
  const events = createEventFeed(database, { pollMs: 50 });
  const logFeed = createLogFeed(database, { pollMs: 50 });
  const metricFeed = createMetricFeed(database);
  const app = buildApp({
    database,
    logger: silentLogger,
    settings: {
      commandsEnabled: true,
      authEnabled: options.authEnabled ?? false,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5_000,
      files: options.files,
      events,
      logFeed,
      metricFeed,
    },
    secrets: testSecrets,
    host: '127.0.0.1',
    port: 0,
  });
  return {
    testDb,
    database,
    app,
    async graphql(query, variables, token) {
      const text = typeof query === 'string' ? query : contractOperation(query.contract);
      const response = await app.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: text, variables }),
      });
      return (await response.json()) as GraphQLResponse<any>;
    },
    token: async (role) => (await createApiToken(database, role, `test ${role}`)).token,
    close: async () => {
      await events.close();
      await logFeed.close();
      await metricFeed.close();
      await testDb.close();
    },
  };
}
