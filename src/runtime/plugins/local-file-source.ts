/**
 * LocalFile source: reads files of the node's file system.
 *
 * Options: `path` (a file, or a directory read recursively, skipping names that start with `.` or
 * `_`), `file_format_type` (`json` = JSON lines, `csv`, `text`), `schema.fields` (name → type; csv
 * columns in order, text fields split by the delimiter, json fields to keep), `field_delimiter` (alias
 * `delimiter`; `,` for csv, `\u0001` for text), `csv_use_header_line` (column names from the first
 * line), `skip_header_row_number` (lines skipped before anything else), `file_filter_pattern` (regex on
 * file names).
 *
 * Splits are the files, sorted by path; split s is file s. Position `{ line, file }`: lines of the file
 * consumed (blank, skipped and header lines included), and the file it belongs to, so a restore onto a
 * changed directory fails instead of skipping the wrong lines. text without a schema gives `{ content }`.
 * Empty csv/text fields are null for non-string types. After the last file a streaming read is idle
 * (new files are not picked up).
 *
 * The path must lie inside the node's file roots (checked after resolving symlinks, by the file
 * guard); symlinks inside a listed directory are skipped and a file swapped for one is refused. The
 * listing is asynchronous and bounded: at most MAX_LISTED_FILES files, MAX_LISTING_DEPTH levels.
 */
import { opendir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { noFileAccess, type FileGuard } from '../files/file-guard.ts';
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type { ReadResult, Row, SourcePlugin, SourceReader, SplitPosition } from './types.ts';
import { readBoolean, readInt, readString, readStringMap, requireString, type Options } from './options.ts';
import { readDelimiter, requireFileFormat, type FileFormat } from './file-format.ts';
import { csvRecords, fileLines, type FileRecords } from './file-records.ts';
import { compileUserRegex } from './user-regex.ts';

const FIELD_TYPES = ['string', 'boolean', 'tinyint', 'smallint', 'int', 'bigint', 'float', 'double'];

interface Column {
  name: string;
  type: string;
}

interface LocalFileSourceConfig {
  path: string;
  format: FileFormat;
  columns?: Column[];
  delimiter: string;
  useHeader: boolean;
  skipLines: number;
  filter?: RegExp;
}

function parseLocalFileSourceOptions(options: Options): LocalFileSourceConfig {
  const path = requireString(options, 'path');
  const format = requireFileFormat(options);
  const fields = readStringMap(options, 'schema.fields');
  const columns = fields
    ? [...fields].map(([name, type]) => ({ name, type: columnType(name, type) }))
    : undefined;
  const delimiter = readDelimiter(options, format);
  const useHeader = readBoolean(options, 'csv_use_header_line') ?? false;
  if (format === 'csv' && !columns && !useHeader) {
    throw new PluginConfigError(
      'schema.fields',
      'is required for csv files unless csv_use_header_line is true',
    );
  }
  const pattern = readString(options, 'file_filter_pattern');
  const filter = pattern === undefined ? undefined : compileUserRegex(pattern, 'file_filter_pattern');
  return {
    path,
    format,
    columns,
    delimiter,
    useHeader,
    skipLines: readInt(options, 'skip_header_row_number', { min: 0 }) ?? 0,
    filter,
  };
}

function columnType(name: string, type: string): string {
  const t = type.trim().toLowerCase();
  // Types this reader does not convert (decimal, date, timestamp, ...) stay text.
  if (/^[a-z]+(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/.test(t)) return FIELD_TYPES.includes(t) ? t : 'string';
  throw new PluginConfigError(`schema.fields.${name}`, `unsupported type "${type}"`);
}

/** Listing limits: a directory that exceeds them is refused rather than read for minutes. */
export const MAX_LISTED_FILES = 100_000;
export const MAX_LISTED_ENTRIES = 1_000_000;
export const MAX_LISTING_DEPTH = 32;

export interface ListingLimits {
  maxFiles?: number;
  maxEntries?: number;
  maxDepth?: number;
}

/**
 * The files of `path` (real paths inside the file roots), sorted; each one is a split. Reads the
 * tree with opendir, a batch of entries per turn of the event loop, so a large tree never blocks it.
 */
export async function listSplitFiles(
  config: Pick<LocalFileSourceConfig, 'path' | 'filter'>,
  files: FileGuard,
  options: ListingLimits & { signal?: AbortSignal } = {},
): Promise<string[]> {
  const maxFiles = options.maxFiles ?? MAX_LISTED_FILES;
  const maxEntries = options.maxEntries ?? MAX_LISTED_ENTRIES;
  const maxDepth = options.maxDepth ?? MAX_LISTING_DEPTH;
  const root = await files.resolve(config.path, 'path');
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch {
    throw new PluginConfigError('path', `no such file or directory: ${config.path}`);
  }
  if (rootStat.isFile()) return [root];
  if (!rootStat.isDirectory())
    throw new PluginConfigError('path', `${config.path} is not a file or directory`);
  const found: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth) {
      throw new PluginConfigError('path', `${config.path} is nested more than ${maxDepth} directories deep`);
    }
    for await (const entry of await opendir(dir, { bufferSize: 128 })) {
      if (options.signal?.aborted) throw new PluginRuntimeError('LocalFile: listing canceled');
      if (++seen > maxEntries) {
        throw new PluginConfigError('path', `${config.path} holds more than ${maxEntries} entries`);
      }
      if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      const full = join(dir, entry.name);
      // Dirent types come from the directory itself: a symlink is neither a file nor a directory
      // here, so links inside the tree are never followed.
      if (entry.isDirectory()) await walk(full, depth + 1);
      else if (entry.isFile() && (!config.filter || config.filter.test(entry.name))) {
        found.push(full);
        if (found.length > maxFiles) {
          throw new PluginConfigError(
            'path',
            `${config.path} holds more than ${maxFiles} files (LocalFile reads at most ${maxFiles}; narrow it with file_filter_pattern or a subdirectory)`,
          );
        }
      }
    }
  };
  await walk(root, 0);
  return found.sort();
}

interface FileState {
  split: number;
  file: string;
  line: number;
  /** Lines to consume before emitting (a restore). */
  resumeAt: number;
  header?: string[];
  layout?: { names: string[]; types: string[] };
  done: boolean;
  /** Lines (json, text) or fields (csv), read on demand. */
  records?: FileRecords<string> | FileRecords<string[]>;
}

const isBlank = (value: string | string[]) =>
  typeof value === 'string' ? value.trim() === '' : value.length === 1 && value[0]!.trim() === '';

class LocalFileReader implements SourceReader {
  readonly splits: readonly number[];
  private current = 0;

  constructor(
    private readonly config: LocalFileSourceConfig,
    private readonly states: FileState[],
    private readonly bounded: boolean,
    private readonly files: FileGuard,
  ) {
    this.splits = states.map((s) => s.split);
  }

  async read(max: number): Promise<ReadResult> {
    const rows: Row[] = [];
    const want = Math.max(1, max);
    while (rows.length < want && this.current < this.states.length) {
      const state = this.states[this.current] as FileState;
      state.records ??= this.recordsOf(state.file);
      const records = await state.records.next(want - rows.length);
      if (records.length === 0) {
        state.done = true;
        await state.records.close();
        this.current++;
        continue;
      }
      for (const record of records) {
        state.line = record.line;
        if (record.line <= this.config.skipLines) continue;
        if (this.config.useHeader && !state.header) {
          state.header = this.fieldsOf(record.value).map((h) => h.trim());
          continue;
        }
        if (record.line <= state.resumeAt || isBlank(record.value)) continue;
        rows.push(this.toRow(record.value, state));
      }
    }
    if (rows.length > 0) return { kind: 'rows', rows };
    return this.bounded ? { kind: 'end' } : { kind: 'idle' };
  }

  private recordsOf(file: string): FileRecords<string> | FileRecords<string[]> {
    const open = () => this.files.openRead(file, 'path');
    if (this.config.format !== 'csv') return fileLines(open);
    const { delimiter, skipLines } = this.config;
    return csvRecords(open, { delimiter, fromLine: skipLines + 1, name: file });
  }

  /** A csv record's fields, or a text line split by the delimiter. */
  private fieldsOf(value: string | string[]): string[] {
    return typeof value === 'string' ? value.split(this.config.delimiter) : value;
  }

  private toRow(value: string | string[], state: FileState): Row {
    const line = typeof value === 'string' ? value : '';
    const where = () => `${state.file}:${state.line}`;
    if (this.config.format === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        throw new PluginRuntimeError(`LocalFile ${where()}: invalid JSON: ${(err as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new PluginRuntimeError(`LocalFile ${where()}: a JSON line must be an object`);
      }
      const columns = this.config.columns;
      if (!columns) return parsed as Row;
      const row: Row = {};
      for (const c of columns) row[c.name] = (parsed as Row)[c.name] ?? null;
      return row;
    }
    if (this.config.format === 'text' && !this.config.columns) return { content: line };
    const values = this.fieldsOf(value);
    const layout = (state.layout ??= this.layout(state));
    const row: Row = {};
    for (let i = 0; i < layout.names.length; i++) {
      const name = layout.names[i] as string;
      row[name] = convert(values[i], layout.types[i] as string, () => `${where()}: field "${name}"`);
    }
    return row;
  }

  /** Column names (from the header line or the schema) and their types, once per file. */
  private layout(state: FileState): { names: string[]; types: string[] } {
    const columns = this.config.columns;
    const names = state.header ?? columns?.map((c) => c.name) ?? [];
    const types = new Map(columns?.map((c) => [c.name, c.type]));
    return { names, types: names.map((n) => types.get(n) ?? 'string') };
  }

  positions(): Record<number, SplitPosition> {
    const out: Record<number, SplitPosition> = {};
    for (const s of this.states) out[s.split] = { line: Math.max(s.line, s.resumeAt), file: s.file };
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.states) await s.records?.close();
  }
}

function convert(raw: string | undefined, type: string, where: () => string): unknown {
  if (raw === undefined) return null;
  if (type === 'string') return raw;
  const text = raw.trim();
  if (text === '') return null;
  if (type === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new PluginRuntimeError(`LocalFile ${where()}: "${raw}" is not a boolean`);
  }
  const n = Number(text);
  const integer = type !== 'float' && type !== 'double';
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new PluginRuntimeError(`LocalFile ${where()}: "${raw}" is not a valid ${type}`);
  }
  return n;
}

export const localFileSource: SourcePlugin = {
  name: 'LocalFile',
  validate(options) {
    parseLocalFileSourceOptions(options);
  },
  paths(options) {
    return [{ option: 'path', path: parseLocalFileSourceOptions(options).path }];
  },
  async splitCount(options, _parallelism, ctx) {
    const files = ctx?.files ?? noFileAccess;
    return (await listSplitFiles(parseLocalFileSourceOptions(options), files, { signal: ctx?.signal }))
      .length;
  },
  async open(options, ctx) {
    const config = parseLocalFileSourceOptions(options);
    const guard = ctx.files ?? noFileAccess;
    const files = await listSplitFiles(config, guard, { signal: ctx.signal });
    if (files.length !== ctx.splitCount) {
      ctx.logger.warn(
        { vertex: ctx.vertex, planned: ctx.splitCount, found: files.length },
        'local file source: the number of files changed since the job was planned',
      );
    }
    const states: FileState[] = [];
    for (let s = ctx.subtaskIndex; s < Math.min(ctx.splitCount, files.length); s += ctx.parallelism) {
      const file = files[s] as string;
      const position = ctx.restore?.[s];
      const line = position?.line ?? 0;
      if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < 0) {
        throw new PluginRuntimeError(`LocalFile cannot restore split ${s} from ${JSON.stringify(position)}`);
      }
      if (position?.file !== undefined && position.file !== file) {
        throw new PluginRuntimeError(
          `LocalFile cannot restore split ${s}: it was ${JSON.stringify(position.file)}, now ${JSON.stringify(file)} (${relative(config.path, file)})`,
        );
      }
      states.push({ split: s, file, line: 0, resumeAt: line, done: false });
    }
    return new LocalFileReader(config, states, ctx.bounded, guard);
  },
};
