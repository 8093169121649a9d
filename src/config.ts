import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './lib/errors.ts';

const port = z.coerce
  .number({ error: 'must be a port number from 0 to 65535' })
  .int('must be a whole number')
  .min(0, 'must be from 0 to 65535')
  .max(65535, 'must be from 0 to 65535');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Days to keep a kind of row; 0 keeps them forever. */
const retentionDays = z.coerce
  .number()
  .int('must be a whole number of days')
  .min(0, 'must be 0 (keep forever) or more')
  .max(36_500, 'must be at most 36500');

/** The defaults of the settings the runtime also needs when a caller (a test, a bench) leaves them
 * out: written once here, used by the schema below and by runtime/index.ts. */
/** The REST dialects' own ports, by dialect name: each real system's documented port. A dialect
 * listed here has a `--<name>-port` flag and a JOBGATE_<NAME>_PORT variable. */
export const DIALECT_DEFAULT_PORTS = {
  flink: 8081,
  seatunnel: 5801,
  dkron: 8080,
  nomad: 4646,
  keeper: 7700,
} as const;
export type DialectName = keyof typeof DIALECT_DEFAULT_PORTS;
export const DIALECT_NAMES = Object.keys(DIALECT_DEFAULT_PORTS) as DialectName[];

/** The environment variable of a dialect's port: JOBGATE_FLINK_PORT, JOBGATE_DKRON_PORT, ... */
export function dialectPortVariable(name: DialectName): string {
  return `JOBGATE_${name.toUpperCase()}_PORT`;
}

export const CONFIG_DEFAULTS = {
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 5_000,
  /** How long the node's heartbeat thread goes on stamping while the main event loop stands still.
   * Long enough that no request the limits let through (their worst measured stalls are a few
   * seconds), nor a long GC pause, costs the node its runs; short enough that a process whose loop
   * really hangs (it runs nothing then: its executor and pipelines live on that loop) gives its work
   * back within about half a minute plus the heartbeat timeout, well inside the checkpoint timeout. */
  heartbeatMaxStallMs: 30_000,
  checkpointTimeoutMs: 60_000,
  checkpointRetention: 3,
  cancelGraceMs: 5_000,
  /** Retention in days (0 = forever). Events: the realtime feed replays after a cursor, and a client
   * away for a week starts over from the rows. Metric history: the biggest table (a 1 Hz sample per
   * metric and subtask); charts look back hours to days. Log lines: only of runs that ended, and two
   * weeks after, long enough to read a failed weekend's logs on a Monday a week later. Audit rows:
   * few, and asked for months later (a quarter). */
  eventRetentionDays: 7,
  metricHistoryRetentionDays: 7,
  logRetentionDays: 14,
  auditRetentionDays: 90,
  /** WebSocket limits: open sockets one token may hold (one more is closed 4429), and subscriptions
   * one socket may run at once. With both, a token holds at most 100,000 subscriptions a gateway. */
  maxSocketsPerToken: 1_000,
  maxSubscriptionsPerSocket: 100,
  /** Each REST dialect's own port: the real system's documented one (0 turns it off). */
  dialectPorts: DIALECT_DEFAULT_PORTS,
} as const;

/** Everything jobgate can be configured with. Parsed once in bin/ and passed down. */
export const configSchema = z
  .object({
    host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
    port: port.default(4000),
    dataDir: z.string().min(1, 'must not be empty').default('./.jobgate'),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    auth: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
    /** Start an in-process worker node (embedded mode). */
    node: z.boolean().default(true),
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits, dots, dashes or underscores')
      .default('default'),
    nodeName: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/,
        'must be 1-100 letters, digits, dots, colons, dashes or underscores',
      )
      .optional(),
    slots: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(256, 'must be at most 256')
      .default(4),
    tags: z.record(z.string(), z.string()).default({}),
    checkpointTimeoutMs: z.coerce
      .number()
      .int('must be a whole number')
      .min(100, 'must be at least 100')
      .max(3_600_000, 'must be at most 3600000')
      .default(CONFIG_DEFAULTS.checkpointTimeoutMs),
    checkpointRetention: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(CONFIG_DEFAULTS.checkpointRetention),
    heartbeatIntervalMs: z.coerce
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(CONFIG_DEFAULTS.heartbeatIntervalMs),
    heartbeatTimeoutMs: z.coerce
      .number()
      .int()
      .min(200)
      .max(600_000)
      .default(CONFIG_DEFAULTS.heartbeatTimeoutMs),
    /** How long the main event loop may stand still while the node's heartbeat thread (PostgreSQL)
     * still stamps for it; past it the node is let go silent and is declared lost. */
    heartbeatMaxStallMs: z.coerce
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(CONFIG_DEFAULTS.heartbeatMaxStallMs),
    /** Directories jobs may read and write files in; none given: `<dataDir>/files`. */
    fileRoots: z.array(z.string().min(1, 'must not be empty')).default([]),
    /** How long a canceled assignment may take to end before its node abandons it. */
    cancelGraceMs: z.coerce
      .number()
      .int('must be a whole number')
      .min(100, 'must be at least 100')
      .max(600_000, 'must be at most 600000')
      .default(CONFIG_DEFAULTS.cancelGraceMs),
    /** How long rows are kept, in days (0 keeps them forever); the coordinator prunes older ones. */
    eventRetentionDays: retentionDays.default(CONFIG_DEFAULTS.eventRetentionDays),
    metricHistoryRetentionDays: retentionDays.default(CONFIG_DEFAULTS.metricHistoryRetentionDays),
    /** Counted from the end of the run: a run still going keeps all its log lines. */
    logRetentionDays: retentionDays.default(CONFIG_DEFAULTS.logRetentionDays),
    auditRetentionDays: retentionDays.default(CONFIG_DEFAULTS.auditRetentionDays),
    /** Allow COMMAND vertices (shell commands) at all. */
    commandsEnabled: z.boolean().default(true),
    /** The key that encrypts connection secrets: base64 of 32 bytes (env only, never a flag). */
    secretKey: z.string().min(1, 'must not be empty').optional(),
    /** A file holding the secret key; without either, one is generated in the data directory. */
    secretKeyFile: z.string().min(1, 'must not be empty').optional(),
    /** Browser origins allowed to call the API (CORS, WebSocket, SSE), matched exactly; none by default. */
    corsOrigins: z
      .array(
        z
          .string()
          .refine((value) => isOrigin(value), 'must be an origin like https://app.example.com (no path)'),
      )
      .default([]),
    /** Longest GraphQL document accepted, in characters (checked before parsing). */
    maxDocumentSize: z.coerce
      .number()
      .int('must be a whole number')
      .min(1_024)
      .max(10_000_000)
      .default(65_536),
    /** Mutations a minute per token (per remote address with auth off); 0 turns the limit off. */
    mutationRateLimit: z.coerce.number().int('must be a whole number').min(0).max(1_000_000).default(600),
    maxSocketsPerToken: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1_000_000, 'must be at most 1000000')
      .default(CONFIG_DEFAULTS.maxSocketsPerToken),
    maxSubscriptionsPerSocket: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .default(CONFIG_DEFAULTS.maxSubscriptionsPerSocket),
    dialectPorts: z
      .object(
        Object.fromEntries(DIALECT_NAMES.map((name) => [name, port])) as Record<DialectName, typeof port>,
      )
      .default(CONFIG_DEFAULTS.dialectPorts),
  })
  .superRefine((c, ctx) => {
    if (c.auth === 'off' && !isLoopback(c.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `cannot be off when host is ${c.host}: auth may only be off on a loopback address (127.0.0.1, ::1, localhost)`,
      });
    }
    if (c.heartbeatTimeoutMs <= c.heartbeatIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatTimeoutMs'],
        message: 'must be longer than heartbeatIntervalMs',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Whether `value` is exactly an origin (scheme://host[:port]), as browsers send it. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** Where each setting comes from, for error messages: the flag and the environment variable. */
const SETTING_SOURCES: Record<string, string> = {
  host: '--host / JOBGATE_HOST',
  port: '--port / JOBGATE_PORT',
  dataDir: '--data-dir / JOBGATE_DATA_DIR',
  databaseUrl: '--database-url / DATABASE_URL',
  logLevel: '--log-level / JOBGATE_LOG_LEVEL',
  auth: '--auth / JOBGATE_AUTH',
  cluster: '--cluster / JOBGATE_CLUSTER',
  slots: '--slots / JOBGATE_SLOTS',
  nodeName: '--name / JOBGATE_NODE_NAME',
  tags: '--tag / JOBGATE_TAGS',
  heartbeatIntervalMs: 'JOBGATE_HEARTBEAT_INTERVAL_MS',
  checkpointTimeoutMs: 'JOBGATE_CHECKPOINT_TIMEOUT_MS',
  checkpointRetention: 'JOBGATE_CHECKPOINT_RETENTION',
  heartbeatTimeoutMs: 'JOBGATE_HEARTBEAT_TIMEOUT_MS',
  heartbeatMaxStallMs: 'JOBGATE_HEARTBEAT_MAX_STALL_MS',
  commandsEnabled: '--no-commands / JOBGATE_COMMANDS',
  fileRoots: '--file-root / JOBGATE_FILE_ROOTS',
  cancelGraceMs: 'JOBGATE_CANCEL_GRACE_MS',
  eventRetentionDays: '--event-retention-days / JOBGATE_EVENT_RETENTION_DAYS',
  metricHistoryRetentionDays: '--metric-history-retention-days / JOBGATE_METRIC_HISTORY_RETENTION_DAYS',
  logRetentionDays: '--log-retention-days / JOBGATE_LOG_RETENTION_DAYS',
  auditRetentionDays: '--audit-retention-days / JOBGATE_AUDIT_RETENTION_DAYS',
  ...Object.fromEntries(
    DIALECT_NAMES.map((name) => [`dialectPorts.${name}`, `--${name}-port / ${dialectPortVariable(name)}`]),
  ),
  node: '--no-node / JOBGATE_NODE',
  secretKey: 'JOBGATE_SECRET_KEY',
  secretKeyFile: '--secret-key-file / JOBGATE_SECRET_KEY_FILE',
  corsOrigins: '--cors-origin / JOBGATE_CORS_ORIGINS',
  maxDocumentSize: '--max-document-size / JOBGATE_MAX_DOCUMENT_SIZE',
  mutationRateLimit: '--mutation-rate-limit / JOBGATE_MUTATION_RATE_LIMIT',
  maxSocketsPerToken: '--max-sockets-per-token / JOBGATE_MAX_SOCKETS_PER_TOKEN',
  maxSubscriptionsPerSocket: '--max-subscriptions-per-socket / JOBGATE_MAX_SUBSCRIPTIONS_PER_SOCKET',
};

/** Validates raw settings; a bad value throws a ConfigError naming the setting and what it accepts. */
export function parseConfig(input: ConfigInput): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.filter((part) => typeof part !== 'number').join('.');
    const source = SETTING_SOURCES[key] ?? key;
    return `  ${source}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
