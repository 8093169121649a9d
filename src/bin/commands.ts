// The commands that open a database or start the runtime: serve, node, migrate and token. The entry
// (jobgate.ts) imports this module only for those commands, so `--help`, `version` and a bad flag
// answer without loading the server, the runtime or a database driver.
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { createDatabase, type Database } from '../db/client.ts';
import { lockDataDir } from '../db/data-dir-lock.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { getSchema } from '../graphql/schema.ts';
import { ConfigError } from '../lib/errors.ts';
import { createLogger, redactUrl, type Logger } from '../lib/logger.ts';
import { createSecretBox, type SecretBox } from '../lib/secret-box.ts';
import { VERSION } from '../lib/version.ts';
import { safeBaseEnv, startRuntime, type RuntimeOptions } from '../runtime/index.ts';
import { buildApp } from '../server/app.ts';
import { loadSecretKey } from './secret-key.ts';
import { checkTokenCommand, runTokenCommand, type TokenCommand } from './token-command.ts';

/** Opens the configured database: PostgreSQL when a URL is set, else PGlite in the data directory
 * (locked, so a second process on it fails clearly). */
async function openDatabase(
  config: Config,
  logger: Logger,
): Promise<{ database: Database; release: () => void }> {
  if (config.databaseUrl) {
    logger.info({ database: redactUrl(config.databaseUrl) }, 'using PostgreSQL');
    const database = await createDatabase({ url: config.databaseUrl });
    await migrateDatabase(database, config.databaseUrl);
    return { database, release: () => {} };
  }
  const dataDir = resolve(config.dataDir);
  const release = lockDataDir(dataDir);
  try {
    logger.info({ dataDir }, 'using the embedded PGlite database');
    const database = await createDatabase({ dataDir: join(dataDir, 'pgdata') });
    await migrateDatabase(database);
    return { database, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** The directories jobs may touch: the configured ones (which must exist), else `<dataDir>/files`
 * (created here). */
function fileRoots(config: Config): string[] {
  if (config.fileRoots.length === 0) {
    const root = join(resolve(config.dataDir), 'files');
    mkdirSync(root, { recursive: true });
    return [root];
  }
  return config.fileRoots.map((root) => {
    const dir = resolve(root);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ConfigError(
        `invalid configuration:\n  --file-root / JOBGATE_FILE_ROOTS: ${root} is not an existing directory`,
      );
    }
    return dir;
  });
}

/** Every process hosts a coordinator (only the leader acts) and, unless told not to, a node. */
function runtimeOptions(
  config: Config,
  database: Database,
  logger: Logger,
  withNode: boolean,
  secrets: SecretBox,
): RuntimeOptions {
  return {
    secrets,
    database,
    logger,
    cluster: config.cluster,
    node: withNode ? { slots: config.slots, tags: config.tags, name: config.nodeName } : undefined,
    coordinator: true,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    heartbeatMaxStallMs: config.heartbeatMaxStallMs,
    commandsEnabled: config.commandsEnabled,
    commandEnv: safeBaseEnv(process.env),
    checkpointTimeoutMs: config.checkpointTimeoutMs,
    checkpointRetention: config.checkpointRetention,
    fileRoots: fileRoots(config),
    cancelGraceMs: config.cancelGraceMs,
    retention: {
      eventsDays: config.eventRetentionDays,
      metricHistoryDays: config.metricHistoryRetentionDays,
      logLinesDays: config.logRetentionDays,
      auditDays: config.auditRetentionDays,
    },
  };
}

/**
 * postgres.js drops the promise of the array-type query it runs first on every new connection
 * (porsager/postgres#1192, #1205, #1223, open upstream): when a server fails or ends a connection
 * during its start-up, that error escapes as an unhandled rejection, which would end the whole
 * process (every run, request and heartbeat with it). A Jdbc target that misbehaves there must fail
 * its own subtask (the query that asked for the connection fails too, and is handled), not the
 * control plane. So an unhandled error of the database driver is logged and passed over; every
 * other unhandled rejection still ends the process.
 */
export function isDriverConnectionError(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  if (reason.name === 'PostgresError') return true;
  const code = (reason as { code?: unknown }).code;
  return typeof code === 'string' && /^CONNECT(ION)?_/.test(code);
}

export function containDriverRejections(logger: Logger) {
  process.on('unhandledRejection', (reason) => {
    if (isDriverConnectionError(reason)) {
      logger.error(
        { err: reason },
        'a database connection failed during its start-up (contained; the query that asked for it fails on its own)',
      );
      return;
    }
    throw reason;
  });
}

/**
 * Runs `work` with the event loop held open. PGlite answers through promises alone (its PostgreSQL
 * runs synchronously in WebAssembly, no socket or file handle is waited on), so during a start-up on
 * PGlite the loop often has nothing to wait for; each time, before it goes on, Node blocks until V8's
 * background tasks are done (NodePlatform::DrainTasks), and those are mostly the optimizing compiles
 * of PGlite's hot WebAssembly functions. The main thread then sat idle for them instead of running
 * beside them: 0.5 to 0.9 s of a `serve` on an existing PGlite directory (2 cores, load 6 to 10). A
 * referenced timer keeps the loop alive, so they run in the background as meant.
 */
async function withEventLoopHeld<T>(work: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 60_000);
  try {
    return await work();
  } finally {
    clearInterval(hold);
  }
}

/** Runs `work` until SIGINT/SIGTERM, then `shutdown` once; a second signal exits at once. */
function onShutdown(logger: Logger, shutdown: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Opens the database, starts the runtime and the API; resolves once the API listens. */
async function startServing(config: Config, logger: Logger) {
  const secrets = createSecretBox(loadSecretKey(config, logger));
  const opening = openDatabase(config, logger);
  // The GraphQL schema needs no database, so it is built while the database opens: on PGlite the
  // main thread may otherwise wait there for WebAssembly still compiling in the background, on
  // PostgreSQL for the migration check's round trips. buildApp below finds it built.
  try {
    getSchema();
  } catch (err) {
    await opening.then(
      ({ database, release }) => database.close().finally(release),
      () => {},
    );
    throw err;
  }
  const { database, release } = await opening;
  const runtime = await startRuntime({
    ...runtimeOptions(config, database, logger, config.node, secrets),
    // It leads from just after ready on: ready waits for the API and the node, not the first tick.
    coordinatorPaused: true,
  });
  const app = buildApp({
    database,
    logger,
    secrets,
    settings: {
      authEnabled: config.auth === 'on',
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      commandsEnabled: config.commandsEnabled,
      files: runtime.files,
      events: runtime.events,
      logFeed: runtime.logFeed,
      metricFeed: runtime.metricFeed,
      nodeId: runtime.node?.id,
    },
    host: config.host,
    port: config.port,
    corsOrigins: config.corsOrigins,
    limits: { maxDocumentLength: config.maxDocumentSize },
    mutationsPerMinute: config.mutationRateLimit,
    maxSocketsPerToken: config.maxSocketsPerToken,
    maxSubscriptionsPerSocket: config.maxSubscriptionsPerSocket,
    dialectPorts: config.dialectPorts,
  });
  const url = await app.start();
  return { database, release, runtime, app, url };
}

export async function serve(config: Config, logger: Logger) {
  const started = Date.now();
  const { database, release, runtime, app, url } = await withEventLoopHeld(() =>
    startServing(config, logger),
  );
  logger.info({ url, auth: config.auth, startupMs: Date.now() - started }, 'jobgate ready');
  console.log(`jobgate ${VERSION} ready: GraphQL and GraphiQL at ${url}/graphql`);
  for (const [dialect, dialectUrl] of Object.entries(app.dialectUrls())) {
    console.log(`${dialect} REST API at ${dialectUrl} (and ${url}/compat/${dialect}/)`);
  }
  void runtime.coordinator?.resume();
  onShutdown(logger, async () => {
    await app.stop();
    await runtime.stop();
    await database.close();
    release();
  });
}

export async function node(config: Config, logger: Logger) {
  if (!config.databaseUrl) {
    throw new ConfigError(
      'invalid configuration:\n  --database-url / DATABASE_URL: is required for `jobgate node`',
    );
  }
  const secrets = createSecretBox(loadSecretKey(config, logger));
  const { database, release } = await openDatabase(config, logger);
  const runtime = await startRuntime(runtimeOptions(config, database, logger, true, secrets));
  console.log(
    `jobgate node ${runtime.node?.name} ready in cluster ${config.cluster} (${config.slots} slots)`,
  );
  onShutdown(logger, async () => {
    await runtime.stop();
    await database.close();
    release();
  });
}

export async function migrate(config: Config, logger: Logger): Promise<void> {
  await withEventLoopHeld(async () => {
    const { database, release } = await openDatabase(config, logger);
    await database.close();
    release();
  });
  console.log('migrations applied');
}

export async function token(config: Config, command: TokenCommand): Promise<void> {
  checkTokenCommand(command);
  await withEventLoopHeld(async () => {
    const { database, release } = await openDatabase(
      config,
      createLogger({ level: 'warn', destination: process.stderr }),
    );
    try {
      await runTokenCommand(database, command);
    } finally {
      await database.close();
      release();
    }
  });
}
