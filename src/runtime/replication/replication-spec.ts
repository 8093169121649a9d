/**
 * The REPLICATION job document (see the replication interface): where rows come from and go to,
 * which tables, and optionally where to start. Parsed by zod like every other definition; each
 * problem names its place, e.g. `input.replication.source.type`.
 */
import { z } from 'zod';
import type { NormalizedDefinition } from '../definition/job-definition.ts';
import { STATE_SCHEMA } from './endpoint-types.ts';

export const ENDPOINT_TYPES = ['mysql', 'postgres'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

/** Options only admins may give: they pick the server or carry its credentials. */
export const REPLICATION_ADMIN_ONLY_OPTIONS = ['host', 'port', 'user', 'password', 'database'] as const;

const MAX_TABLE_RULES = 1000;
const name = z.string({ error: 'must be a name' }).min(1, 'must be a name').max(128, 'is too long');
const regex = z
  .string({ error: 'must be a regular expression' })
  .max(512, 'is too long')
  .refine((text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression');

const rawEndpoint = z.strictObject(
  {
    type: z.enum(ENDPOINT_TYPES, { error: 'must be mysql or postgres' }),
    host: z.string({ error: 'must be a host name' }).min(1).max(255),
    port: z.number({ error: 'must be a port number' }).int().min(1).max(65535).optional(),
    user: z.string({ error: 'must be a user name' }).min(1).max(128),
    password: z.string({ error: 'must be a string' }).max(1024).optional(),
    database: name.optional(),
  },
  { error: 'must be { connection } or { type, host, port, user, password, database }' },
);
const namedEndpoint = z.strictObject(
  { connection: name, database: name.optional() },
  { error: 'must be { connection } or { type, host, port, user, password, database }' },
);

export const endpointSchema = z
  .unknown()
  .transform((raw, ctx) => {
    const isNamed = typeof raw === 'object' && raw !== null && 'connection' in raw;
    const parsed = (isNamed ? namedEndpoint : rawEndpoint).safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  })
  .superRefine((e, ctx) => {
    if ('type' in e && e.type === 'postgres' && !e.database)
      ctx.addIssue({ code: 'custom', path: ['database'], message: 'is required for postgres' });
  });
export type EndpointSpec = z.output<typeof endpointSchema>;

const tableRule = z
  .strictObject(
    {
      schema: name.optional(),
      schemaRegex: regex.optional(),
      table: name.optional(),
      tableRegex: regex.optional(),
    },
    { error: 'must be { schema, table } (or schemaRegex / tableRegex)' },
  )
  .superRefine((rule, ctx) => {
    if (rule.schema && rule.schemaRegex)
      ctx.addIssue({ code: 'custom', path: ['schemaRegex'], message: 'cannot be combined with schema' });
    if (rule.table && rule.tableRegex)
      ctx.addIssue({ code: 'custom', path: ['tableRegex'], message: 'cannot be combined with table' });
    if (!rule.schema && !rule.schemaRegex && (rule.table || rule.tableRegex))
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'is required with table or tableRegex' });
    if (!rule.schema && !rule.schemaRegex)
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'is required (or schemaRegex)' });
  });
export type TableRule = z.output<typeof tableRule>;

const ruleList = z
  .array(tableRule, { error: 'must be a list of { schema, table } rules' })
  .max(MAX_TABLE_RULES, `must have at most ${MAX_TABLE_RULES} rules`);

const positionSchema = z.union(
  [
    z.strictObject({ gtid: z.string().min(1).max(65_536) }),
    z.strictObject({
      file: z.string().min(1).max(255),
      offset: z.number().int().min(4),
    }),
    z.strictObject({
      lsn: z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'must look like 0/16B3748'),
    }),
  ],
  { error: 'must be { gtid }, { file, offset } or { lsn }' },
);
export type PositionSpec = z.output<typeof positionSchema>;

/** A destination table's name for a source table: { schema: to } or { schema, table, toTable }. */
const renameRule = z
  .strictObject(
    {
      schema: name,
      table: name.optional(),
      toSchema: name.optional(),
      toTable: name.optional(),
    },
    { error: 'must be { schema, table?, toSchema?, toTable? }' },
  )
  .refine((rule) => (rule.toSchema ?? rule.schema) !== STATE_SCHEMA, {
    // There jobgate keeps every job's saved position at the destination: a table renamed into it could
    // overwrite another job's.
    path: ['toSchema'],
    message: `must not be ${STATE_SCHEMA}, where jobgate keeps the saved positions`,
  });
export type RenameRule = z.output<typeof renameRule>;

export const replicationSchema = z
  .strictObject(
    {
      source: endpointSchema,
      destination: endpointSchema,
      tables: ruleList.nullish(),
      ignore: ruleList.nullish(),
      rename: z.array(renameRule).max(MAX_TABLE_RULES).nullish(),
      position: positionSchema.nullish(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'is not a replication field (source, destination, tables, ignore, rename, position)'
          : 'must be an object with source and destination',
    },
  )
  .superRefine((doc, ctx) => {
    const type = (e: EndpointSpec) => ('type' in e ? e.type : 'postgres');
    const pos = doc.position;
    if (!pos) return;
    const sourceType = type(doc.source);
    if ('lsn' in pos && sourceType !== 'postgres')
      ctx.addIssue({ code: 'custom', path: ['position', 'lsn'], message: 'is a PostgreSQL position' });
    if (!('lsn' in pos) && sourceType === 'postgres')
      ctx.addIssue({ code: 'custom', path: ['position'], message: 'a PostgreSQL source starts at an lsn' });
  });
export type ReplicationSpec = z.output<typeof replicationSchema>;

/** The endpoint's type: a named connection is a PostgreSQL connection (the only kind there is). */
export function endpointType(e: EndpointSpec): EndpointType {
  return 'type' in e ? e.type : 'postgres';
}

/** The vertices every replication job has (interface point 2), chained into `apply`. */
export function normalizeReplication(document: Record<string, unknown>): NormalizedDefinition {
  const vertex = (n: string, kind: 'SOURCE' | 'SINK', inputs: string[]) => ({
    name: n,
    kind,
    plugin: null,
    config: {},
    parallelism: 1,
    inputs,
  });
  return {
    kind: 'REPLICATION',
    mode: 'STREAMING',
    parallelism: 1,
    checkpointIntervalMs: null,
    vertices: [
      vertex('snapshot', 'SOURCE', []),
      vertex('changes', 'SOURCE', []),
      vertex('apply', 'SINK', ['snapshot', 'changes']),
    ],
    document,
  };
}
