// A dtle job (a Nomad job whose `src` and `dest` tasks use the dtle driver) as jobgate's REPLICATION
// document (replication-interface.md §1), and back. dtle 3.x puts the source's ConnectionConfig on
// the src task and the destination's on the dest task; the 2.x layout (SrcConnectionConfig and
// DestConnectionConfig both on the src task) is read too. What to copy is ReplicateDoDb (with its
// TableSchemaRename / TableRename as the document's `rename`), what to
// leave out ReplicateIgnoreDb, each a list of {TableSchema | TableSchemaRegex, Tables: [{TableName |
// TableRegex}]}; Gtid or BinlogFile/BinlogPos say where to start incrementally. dtle options that
// would change what arrives beyond renames (Where filters, column maps, a Kafka destination) are refused
// rather than ignored; tuning options (ChunkSize, GroupMaxSize, ...) have no meaning here and are
// dropped.
import {
  isObject,
  field,
  intField,
  objectField,
  stringField,
  arrayField,
  type JsonObject,
} from './json-fields.ts';
import type { NomadJob, NomadTask } from './nomad-job.ts';
import { NomadError } from './respond.ts';

export const DTLE_DRIVER = 'dtle';
/** The task names dtle gives the two ends. */
export const DTLE_TASKS = { src: 'src', dest: 'dest' } as const;

export interface TableSelector {
  schema?: string;
  schemaRegex?: string;
  table?: string;
  tableRegex?: string;
}

export interface EndpointSpec {
  type: 'mysql';
  host: string;
  port: number;
  user: string;
  password?: string;
}

/** A destination name for source tables (the replication document's `rename`). */
export interface RenameRule {
  schema: string;
  table?: string;
  toSchema?: string;
  toTable?: string;
}

export interface ReplicationDocument {
  source: EndpointSpec;
  destination: EndpointSpec;
  tables: TableSelector[];
  ignore: TableSelector[];
  rename?: RenameRule[];
  position?: { gtid: string } | { file: string; offset: number };
}

/** Where the dtle tasks are in the Nomad job (group and task names). */
export interface DtlePlacement {
  src: { group: string; task: string };
  dest: { group: string; task: string };
}

/** Options that change what is replicated: refused, since jobgate would not honour them. */
const REFUSED_TABLE_OPTIONS = ['Where', 'ColumnMapFrom', 'ColumnMapTo', 'TableRenameRegex'];
const REFUSED_SCHEMA_OPTIONS: string[] = [];
const MAX_SELECTORS = 1000;
const MAX_TEXT = 256;

/** A dtle driver config jobgate cannot run: 400 with what is wrong. */
function configError(where: string, message: string): NomadError {
  return new NomadError(400, `dtle task ${where}: ${message}`);
}

function text(value: string | undefined, where: string, what: string): string | undefined {
  if (value !== undefined && value.length > MAX_TEXT) {
    throw configError(where, `${what} is longer than ${MAX_TEXT} characters`);
  }
  return value || undefined;
}

function checkRegex(pattern: string, where: string, what: string): string {
  try {
    new RegExp(pattern);
  } catch {
    throw configError(where, `${what} ${JSON.stringify(pattern)} is not a valid regular expression`);
  }
  return pattern;
}

function hasKey(object: JsonObject, name: string): boolean {
  return field(object, name) !== undefined && field(object, name) !== '';
}

/** ReplicateDoDb / ReplicateIgnoreDb as selectors. */
function selectorsOf(
  config: JsonObject,
  key: string,
  where: string,
  renames?: RenameRule[],
): TableSelector[] {
  const list = arrayField(config, key, `Config.${key}`) ?? [];
  if (list.length > MAX_SELECTORS) throw configError(where, `${key} has more than ${MAX_SELECTORS} entries`);
  const out: TableSelector[] = [];
  for (const [i, entry] of list.entries()) {
    const at = `${key}[${i}]`;
    if (!isObject(entry)) throw configError(where, `${at} must be an object`);
    for (const option of REFUSED_SCHEMA_OPTIONS) {
      if (hasKey(entry, option)) throw configError(where, `${at}.${option} is not supported by jobgate`);
    }
    const schema = text(stringField(entry, 'TableSchema', `${at}.TableSchema`), where, `${at}.TableSchema`);
    const schemaRegex = text(
      stringField(entry, 'TableSchemaRegex', `${at}.TableSchemaRegex`),
      where,
      `${at}.TableSchemaRegex`,
    );
    if (!schema && !schemaRegex) throw configError(where, `${at} needs TableSchema or TableSchemaRegex`);
    const schemaRename = text(
      stringField(entry, 'TableSchemaRename', `${at}.TableSchemaRename`),
      where,
      `${at}.TableSchemaRename`,
    );
    if (schemaRename && (!renames || schemaRegex)) {
      throw configError(
        where,
        `${at}.TableSchemaRename is not supported ${renames ? 'with TableSchemaRegex' : 'here'}`,
      );
    }
    if (schemaRename) renames!.push({ schema: schema!, toSchema: schemaRename });
    if (schema && schemaRegex) throw configError(where, `${at} gives both TableSchema and TableSchemaRegex`);
    const tables = arrayField(entry, 'Tables', `${at}.Tables`) ?? [];
    if (schemaRegex) {
      checkRegex(schemaRegex, where, `${at}.TableSchemaRegex`);
      if (tables.length) throw configError(where, `${at}: Tables under TableSchemaRegex are not supported`);
      out.push({ schemaRegex });
      continue;
    }
    if (tables.length === 0) {
      out.push({ schema: schema! });
      continue;
    }
    for (const [j, table] of tables.entries()) {
      const tat = `${at}.Tables[${j}]`;
      if (!isObject(table)) throw configError(where, `${tat} must be an object`);
      for (const option of REFUSED_TABLE_OPTIONS) {
        if (hasKey(table, option)) throw configError(where, `${tat}.${option} is not supported by jobgate`);
      }
      const name = text(stringField(table, 'TableName', `${tat}.TableName`), where, `${tat}.TableName`);
      const regex = text(stringField(table, 'TableRegex', `${tat}.TableRegex`), where, `${tat}.TableRegex`);
      if (!name && !regex) throw configError(where, `${tat} needs TableName or TableRegex`);
      if (name && regex) throw configError(where, `${tat} gives both TableName and TableRegex`);
      const tableRename = text(
        stringField(table, 'TableRename', `${tat}.TableRename`),
        where,
        `${tat}.TableRename`,
      );
      if (tableRename && (!renames || !name)) {
        throw configError(
          where,
          `${tat}.TableRename is not supported ${renames ? 'with TableRegex' : 'here'}`,
        );
      }
      if (tableRename) {
        renames!.push({
          schema: schema!,
          table: name!,
          ...(schemaRename ? { toSchema: schemaRename } : {}),
          toTable: tableRename,
        });
      }
      out.push(
        name
          ? { schema: schema!, table: name }
          : { schema: schema!, tableRegex: checkRegex(regex!, where, `${tat}.TableRegex`) },
      );
    }
  }
  if (out.length > MAX_SELECTORS) throw configError(where, `${key} has more than ${MAX_SELECTORS} tables`);
  return out;
}

function endpointOf(config: JsonObject | undefined, where: string, what: string): EndpointSpec {
  if (!config) throw configError(where, `${what} is missing`);
  const host = text(stringField(config, 'Host', `${what}.Host`), where, `${what}.Host`);
  const user = text(stringField(config, 'User', `${what}.User`), where, `${what}.User`);
  const password = stringField(config, 'Password', `${what}.Password`);
  const port = intField(config, 'Port', `${what}.Port`) ?? 3306;
  if (!host) throw configError(where, `${what}.Host is missing`);
  if (!user) throw configError(where, `${what}.User is missing`);
  if (port < 1 || port > 65535) throw configError(where, `${what}.Port must be from 1 to 65535`);
  if (password !== undefined && password.length > 1024)
    throw configError(where, `${what}.Password is too long`);
  return { type: 'mysql', host, port, user, ...(password ? { password } : {}) };
}

function positionOf(config: JsonObject, where: string): ReplicationDocument['position'] {
  const gtid = text(stringField(config, 'Gtid', 'Config.Gtid'), where, 'Gtid');
  if (gtid) {
    if (gtid.length > 65_536) throw configError(where, 'Gtid is too long');
    return { gtid };
  }
  const file = text(stringField(config, 'BinlogFile', 'Config.BinlogFile'), where, 'BinlogFile');
  const offset = intField(config, 'BinlogPos', 'Config.BinlogPos');
  if (file && offset !== undefined && offset >= 0) return { file, offset };
  if (file || offset !== undefined) throw configError(where, 'BinlogFile and BinlogPos go together');
  return undefined;
}

/** The two dtle tasks of the job, or the Nomad-side refusal of a task whose driver no node has. */
export function dtlePlacement(job: NomadJob): DtlePlacement {
  let src: DtlePlacement['src'] | undefined;
  let dest: DtlePlacement['dest'] | undefined;
  for (const group of job.groups) {
    for (const task of group.tasks) {
      if (task.driver !== DTLE_DRIVER) {
        // Nomad would accept the job and fail to place it ("missing drivers"); jobgate has no node
        // with any other driver, so it refuses the job before storing anything.
        throw new NomadError(
          500,
          `1 error occurred:\n\t* Task group ${group.name} task ${task.name}: constraint "missing drivers" filtered all nodes: driver ${JSON.stringify(task.driver)} is not available (jobgate runs the dtle driver only)\n\n`,
        );
      }
      const role = task.name.toLowerCase();
      if (role === DTLE_TASKS.src && !src) src = { group: group.name, task: task.name };
      else if (role === DTLE_TASKS.dest && !dest) dest = { group: group.name, task: task.name };
      else
        throw new NomadError(
          400,
          `dtle job: unexpected task ${JSON.stringify(task.name)} (a dtle job has one task named src and one named dest)`,
        );
    }
  }
  if (!src || !dest) throw new NomadError(400, 'dtle job: needs a task named src and a task named dest');
  return { src, dest };
}

function taskOf(job: NomadJob, at: { group: string; task: string }): NomadTask {
  return job.groups.find((g) => g.name === at.group)!.tasks.find((t) => t.name === at.task)!;
}

/** The REPLICATION document of a dtle job (pure: nothing is looked up). Throws NomadError 400. */
export function replicationOf(job: NomadJob): { document: ReplicationDocument; placement: DtlePlacement } {
  const placement = dtlePlacement(job);
  const srcConfig = taskOf(job, placement.src).config;
  const destConfig = taskOf(job, placement.dest).config;
  for (const [config, where] of [
    [srcConfig, 'src'],
    [destConfig, 'dest'],
  ] as const) {
    const destType = stringField(config, 'DestType', 'Config.DestType');
    if (destType && destType.toLowerCase() !== 'mysql') {
      throw configError(
        where,
        `DestType ${JSON.stringify(destType)} is not supported by jobgate (mysql only)`,
      );
    }
  }
  const sourceConfig =
    objectField(srcConfig, 'ConnectionConfig', 'Config.ConnectionConfig') ??
    objectField(srcConfig, 'SrcConnectionConfig', 'Config.SrcConnectionConfig');
  const destinationConfig =
    objectField(destConfig, 'ConnectionConfig', 'Config.ConnectionConfig') ??
    objectField(srcConfig, 'DestConnectionConfig', 'Config.DestConnectionConfig');
  const renames: RenameRule[] = [];
  const document: ReplicationDocument = {
    source: endpointOf(sourceConfig, 'src', 'ConnectionConfig'),
    destination: endpointOf(destinationConfig, 'dest', 'ConnectionConfig'),
    tables: selectorsOf(srcConfig, 'ReplicateDoDb', 'src', renames),
    ignore: selectorsOf(srcConfig, 'ReplicateIgnoreDb', 'src'),
  };
  if (renames.length) document.rename = renames;
  const position = positionOf(srcConfig, 'src');
  if (position) document.position = position;
  return { document, placement };
}

function dtleSelectors(
  selectors: readonly TableSelector[],
  renames: readonly RenameRule[] = [],
): JsonObject[] {
  const bySchema = new Map<string, JsonObject[]>();
  const out: Record<string, unknown>[] = [];
  for (const s of selectors) {
    if (s.schemaRegex) {
      out.push({ TableSchema: '', TableSchemaRegex: s.schemaRegex, Tables: null });
      continue;
    }
    if (!s.schema) continue;
    let tables = bySchema.get(s.schema);
    if (!tables) {
      tables = [];
      bySchema.set(s.schema, tables);
      const schemaRename = renames.find((r) => r.schema === s.schema && !r.table)?.toSchema;
      out.push({
        TableSchema: s.schema,
        TableSchemaRegex: '',
        ...(schemaRename ? { TableSchemaRename: schemaRename } : {}),
        Tables: tables,
      });
    }
    const tableRename = renames.find((r) => r.schema === s.schema && r.table === s.table && s.table)?.toTable;
    if (s.table)
      tables.push({
        TableName: s.table,
        TableRegex: '',
        ...(tableRename ? { TableRename: tableRename } : {}),
      });
    else if (s.tableRegex) tables.push({ TableName: '', TableRegex: s.tableRegex });
  }
  return out.map((entry) =>
    Array.isArray(entry.Tables) && entry.Tables.length === 0 ? { ...entry, Tables: null } : entry,
  );
}

function dtleConnection(endpoint: unknown): JsonObject {
  if (!isObject(endpoint)) return {};
  return {
    Host: endpoint.host ?? '',
    Port: endpoint.port ?? 3306,
    User: endpoint.user ?? '',
    // The stored password is never shown: the definition carries it redacted, or not at all.
    Password: typeof endpoint.password === 'string' ? endpoint.password : '',
  };
}

/** The dtle task configs a stored REPLICATION document reads back as (GET /v1/job/:id). */
export function dtleConfigsOf(document: unknown): { src: JsonObject; dest: JsonObject } {
  const doc = isObject(document) ? document : {};
  const position = isObject(doc.position) ? doc.position : {};
  const tables = Array.isArray(doc.tables) ? (doc.tables as TableSelector[]) : [];
  const ignore = Array.isArray(doc.ignore) ? (doc.ignore as TableSelector[]) : [];
  return {
    src: {
      Gtid: typeof position.gtid === 'string' ? position.gtid : '',
      ...(typeof position.file === 'string'
        ? { BinlogFile: position.file, BinlogPos: position.offset ?? 0 }
        : {}),
      ReplicateDoDb: dtleSelectors(tables, Array.isArray(doc.rename) ? (doc.rename as RenameRule[]) : []),
      ReplicateIgnoreDb: dtleSelectors(ignore),
      ConnectionConfig: dtleConnection(doc.source),
    },
    dest: { ConnectionConfig: dtleConnection(doc.destination), DestType: 'mysql' },
  };
}
