// jobgate's command line: serve | node | migrate | token create/list/revoke | print-schema | version.
// This entry loads only what parsing the command line needs; each command imports its own modules
// when it runs, so `jobgate --help` and `jobgate version` answer at once (no server, runtime or
// database driver is loaded for them).
import { parseConfig } from '../config.ts';
import { compilePgliteWasm } from '../db/pglite-wasm.ts';
import { ConfigError } from '../lib/errors.ts';
import { VERSION } from '../lib/version.ts';
import { parseFlags, settingsFrom } from './settings.ts';

const HELP = `jobgate ${VERSION}: one control plane for data and scheduled jobs

Usage:
  jobgate serve [--host 127.0.0.1] [--port 4000] [--data-dir ./.jobgate] [--database-url URL]
                [--auth on|off] [--log-level info] [--no-node] [--cluster default] [--slots 4]
                [--flink-port 8081] [--seatunnel-port 5801] [--dkron-port 8080]
                [--nomad-port 4646] [--keeper-port 7700] [--secret-key-file FILE] [--file-root DIR]...
                [--cors-origin URL]... [--max-document-size 65536] [--mutation-rate-limit 600]
                [--max-sockets-per-token 1000] [--max-subscriptions-per-socket 100]
                [--event-retention-days 7] [--metric-history-retention-days 7]
                [--log-retention-days 14] [--audit-retention-days 90]
  jobgate node --database-url URL [--cluster default] [--slots 4] [--tag k=v]... [--name NAME]
               [--secret-key-file FILE] [--file-root DIR]...
  jobgate migrate [--database-url URL | --data-dir DIR]
  jobgate token create --role viewer|operator|admin [--name NAME] [--database-url URL | --data-dir DIR]
  jobgate token list [--all] [--database-url URL | --data-dir DIR]
  jobgate token revoke <id> [--database-url URL | --data-dir DIR]
  jobgate print-schema

Every flag has an environment variable: JOBGATE_HOST, JOBGATE_PORT, JOBGATE_DATA_DIR, DATABASE_URL,
JOBGATE_AUTH, JOBGATE_LOG_LEVEL, JOBGATE_CLUSTER, JOBGATE_SLOTS, JOBGATE_TAGS (k=v,k=v), ...
REST dialects (flink, seatunnel, dkron, nomad, keeper) answer on their own port (JOBGATE_FLINK_PORT,
JOBGATE_SEATUNNEL_PORT, JOBGATE_DKRON_PORT, JOBGATE_NOMAD_PORT, JOBGATE_KEEPER_PORT) and under /compat/<name>/ on
the main port; a dialect port of 0 turns its own port off (it stays under /compat/<name>/).
Retention (days; 0 keeps forever): events, metric history, log lines counted from the end of their
run, audit rows; the coordinator deletes older rows in small batches.
The secret key that encrypts connection secrets: JOBGATE_SECRET_KEY (base64 of 32 bytes) or
--secret-key-file / JOBGATE_SECRET_KEY_FILE; without either, one is generated as <data-dir>/secret.key.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv);
  const [command, sub] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(HELP);
    return;
  }
  if (command === 'print-schema') {
    const { printJobgateSchema } = await import('../graphql/schema.ts');
    process.stdout.write(printJobgateSchema());
    return;
  }
  if (command === 'version') {
    console.log(VERSION);
    return;
  }
  const config = parseConfig(settingsFrom(values, process.env));
  if (!['serve', 'node', 'migrate', 'token'].includes(command)) {
    throw new ConfigError(`unknown command ${JSON.stringify(command)} (see jobgate --help)`);
  }
  // On PGlite, its WebAssembly compiles on background threads while the commands' modules load.
  if (!config.databaseUrl) void compilePgliteWasm();
  const [commands, { createLogger }] = await Promise.all([
    import('./commands.ts'),
    import('../lib/logger.ts'),
  ]);
  const logger = createLogger({ level: config.logLevel });
  commands.containDriverRejections(logger);
  switch (command) {
    case 'serve':
      return commands.serve(config, logger);
    case 'node':
      return commands.node(config, logger);
    case 'migrate':
      return commands.migrate(config, logger);
    default:
      return commands.token(config, {
        sub,
        args: positionals.slice(2),
        role: values.role,
        name: values.name,
        all: values.all,
      });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || (err as Error).name === 'DataDirInUseError') {
    console.error(`jobgate: ${(err as Error).message}`);
  } else {
    console.error('jobgate: failed to start:', err);
  }
  process.exit(1);
});
