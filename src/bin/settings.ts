// Reads settings from flags and environment variables into the raw input of the config schema.
// Flags win over the environment. This is the only place (with bin/) that reads process.env.
import { parseArgs } from 'node:util';
import {
  CONFIG_DEFAULTS,
  DIALECT_NAMES,
  dialectPortVariable,
  type ConfigInput,
  type DialectName,
} from '../config.ts';
import { ConfigError } from '../lib/errors.ts';

export const SETTINGS_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  auth: { type: 'string' },
  cluster: { type: 'string' },
  slots: { type: 'string' },
  tag: { type: 'string', multiple: true },
  name: { type: 'string' },
  'no-node': { type: 'boolean' },
  'no-commands': { type: 'boolean' },
  'file-root': { type: 'string', multiple: true },
  'flink-port': { type: 'string' },
  'seatunnel-port': { type: 'string' },
  'dkron-port': { type: 'string' },
  'nomad-port': { type: 'string' },
  'keeper-port': { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'max-document-size': { type: 'string' },
  'mutation-rate-limit': { type: 'string' },
  'max-sockets-per-token': { type: 'string' },
  'max-subscriptions-per-socket': { type: 'string' },
  'event-retention-days': { type: 'string' },
  'metric-history-retention-days': { type: 'string' },
  'log-retention-days': { type: 'string' },
  'audit-retention-days': { type: 'string' },
  role: { type: 'string' },
  all: { type: 'boolean' },
  'secret-key-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: SETTINGS_OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see jobgate --help)`);
  }
}

function parseTags(list: string[] | undefined, source: string): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0)
      throw new ConfigError(`invalid configuration:\n  ${source}: ${JSON.stringify(item)} must be key=value`);
    tags[item.slice(0, at)] = item.slice(at + 1);
  }
  return tags;
}

function bool(value: string | undefined, source: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new ConfigError(
    `invalid configuration:\n  ${source}: must be true or false, got ${JSON.stringify(value)}`,
  );
}

export function settingsFrom(
  values: ReturnType<typeof parseFlags>['values'],
  env: NodeJS.ProcessEnv,
): ConfigInput {
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name] === '' ? undefined : env[name]);
  const input: ConfigInput = {
    host: pick(values.host, 'JOBGATE_HOST'),
    port: pick(values.port, 'JOBGATE_PORT'),
    dataDir: pick(values['data-dir'], 'JOBGATE_DATA_DIR'),
    databaseUrl: pick(values['database-url'], 'DATABASE_URL'),
    logLevel: pick(values['log-level'], 'JOBGATE_LOG_LEVEL') as ConfigInput['logLevel'],
    auth: pick(values.auth, 'JOBGATE_AUTH') as ConfigInput['auth'],
    cluster: pick(values.cluster, 'JOBGATE_CLUSTER'),
    slots: pick(values.slots, 'JOBGATE_SLOTS'),
    nodeName: pick(values.name, 'JOBGATE_NODE_NAME'),
    tags:
      parseTags(values.tag, '--tag') ??
      parseTags(env.JOBGATE_TAGS?.split(',').filter(Boolean), 'JOBGATE_TAGS'),
    heartbeatIntervalMs: env.JOBGATE_HEARTBEAT_INTERVAL_MS || undefined,
    checkpointTimeoutMs: env.JOBGATE_CHECKPOINT_TIMEOUT_MS || undefined,
    checkpointRetention: env.JOBGATE_CHECKPOINT_RETENTION || undefined,
    heartbeatTimeoutMs: env.JOBGATE_HEARTBEAT_TIMEOUT_MS || undefined,
    heartbeatMaxStallMs: env.JOBGATE_HEARTBEAT_MAX_STALL_MS || undefined,
    node: values['no-node'] ? false : bool(env.JOBGATE_NODE, 'JOBGATE_NODE'),
    secretKey: env.JOBGATE_SECRET_KEY || undefined,
    secretKeyFile: pick(values['secret-key-file'], 'JOBGATE_SECRET_KEY_FILE'),
    commandsEnabled: values['no-commands'] ? false : bool(env.JOBGATE_COMMANDS, 'JOBGATE_COMMANDS'),
    fileRoots: values['file-root']?.length
      ? values['file-root']
      : env.JOBGATE_FILE_ROOTS?.split(',').filter(Boolean),
    cancelGraceMs: env.JOBGATE_CANCEL_GRACE_MS || undefined,
    corsOrigins: values['cors-origin'] ?? env.JOBGATE_CORS_ORIGINS?.split(',').filter(Boolean),
    maxDocumentSize: pick(values['max-document-size'], 'JOBGATE_MAX_DOCUMENT_SIZE'),
    mutationRateLimit: pick(values['mutation-rate-limit'], 'JOBGATE_MUTATION_RATE_LIMIT'),
    maxSocketsPerToken: pick(values['max-sockets-per-token'], 'JOBGATE_MAX_SOCKETS_PER_TOKEN'),
    maxSubscriptionsPerSocket: pick(
      values['max-subscriptions-per-socket'],
      'JOBGATE_MAX_SUBSCRIPTIONS_PER_SOCKET',
    ),
    eventRetentionDays: pick(values['event-retention-days'], 'JOBGATE_EVENT_RETENTION_DAYS'),
    metricHistoryRetentionDays: pick(
      values['metric-history-retention-days'],
      'JOBGATE_METRIC_HISTORY_RETENTION_DAYS',
    ),
    logRetentionDays: pick(values['log-retention-days'], 'JOBGATE_LOG_RETENTION_DAYS'),
    auditRetentionDays: pick(values['audit-retention-days'], 'JOBGATE_AUDIT_RETENTION_DAYS'),
    dialectPorts: Object.fromEntries(
      DIALECT_NAMES.map((name) => [
        name,
        pick(values[`${name}-port`], dialectPortVariable(name)) ?? CONFIG_DEFAULTS.dialectPorts[name],
      ]),
    ) as Record<DialectName, string | number>,
  };
  return input;
}
