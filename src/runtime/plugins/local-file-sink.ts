/**
 * LocalFile sink: appends rows to `<path>/part-<subtaskIndex>.<ext>` (at-least-once: a restore may
 * append rows again). Options: `path` (a directory, created if missing), `file_format_type` (`json`
 * lines, `csv`, `text`), `field_delimiter` (csv `,`, text `\u0001`), `sink_columns` (csv/text column
 * order; default the first row's fields), `enable_header_write` (csv/text: a header line when the file
 * is new). flush() fsyncs the file.
 *
 * The directory must lie inside the node's file roots: it and its missing parents are created one
 * level at a time through the file guard, and the part file is opened without following a symlink.
 */
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FileAccessError, noFileAccess } from '../files/file-guard.ts';
import { PluginRuntimeError } from './types.ts';
import type { Row, SinkPlugin, SinkWriter } from './types.ts';
import { readBoolean, readStringList, requireString, type Options } from './options.ts';
import { readDelimiter, requireFileFormat, type FileFormat } from './file-format.ts';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';

const EXTENSIONS: Record<FileFormat, string> = { json: 'json', csv: 'csv', text: 'txt' };

function parseLocalFileSink(options: Options) {
  const path = requireString(options, 'path');
  const format = requireFileFormat(options);
  return {
    path,
    format,
    delimiter: readDelimiter(options, format),
    columns: readStringList(options, 'sink_columns'),
    header: readBoolean(options, 'enable_header_write') ?? false,
  };
}

export const localFileSink: SinkPlugin = {
  name: 'LocalFile',
  exactlyOnce: false,
  validate(options) {
    parseLocalFileSink(options);
  },
  paths(options) {
    return [{ option: 'path', path: parseLocalFileSink(options).path }];
  },
  async open(options, ctx) {
    const config = parseLocalFileSink(options);
    const files = ctx.files ?? noFileAccess;
    let file = join(config.path, `part-${ctx.subtaskIndex}.${EXTENSIONS[config.format]}`);
    let handle: FileHandle;
    try {
      const dir = await files.makeDirectory(config.path, 'path');
      file = join(dir, `part-${ctx.subtaskIndex}.${EXTENSIONS[config.format]}`);
      handle = await files.openAppend(file, 'path');
    } catch (err) {
      if (err instanceof FileAccessError) throw err;
      throw new PluginRuntimeError(`LocalFile sink cannot open ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let columns = config.columns;
    let fresh = (await handle.stat()).size === 0;
    const csv = csvOptions(config.delimiter);
    const text = (row: Row) => {
      const cols = (columns ??= Object.keys(row));
      return cols.map((c) => plainField(row[c])).join(config.delimiter);
    };
    /** The rows as lines, each ending in a line break. */
    const lines = (rows: readonly Row[]): string => {
      if (config.format === 'json') return rows.map((row) => JSON.stringify(row) + '\n').join('');
      if (config.format === 'text') return rows.map((row) => text(row) + '\n').join('');
      const cols = (columns ??= Object.keys(rows[0] as Row));
      return stringify(
        rows.map((row) => cols.map((c) => row[c])),
        csv,
      );
    };
    const writer: SinkWriter = {
      async write(rows) {
        if (rows.length === 0) return;
        let out = '';
        if (fresh && config.header && config.format !== 'json') {
          columns ??= Object.keys(rows[0] as Row);
          out += stringify([columns], csv);
        }
        fresh = false;
        out += lines(rows);
        await handle.appendFile(out);
      },
      async flush() {
        await handle.sync();
      },
      async close() {
        await handle.close();
      },
    };
    return writer;
  },
};

/** csv-stringify as the sink writes: null is empty, objects are JSON, dates ISO 8601, quoting only
 * when a field holds the delimiter, a quote or a line break. */
function csvOptions(delimiter: string): CsvOptions {
  return {
    delimiter,
    record_delimiter: '\n',
    quoted_match: /\r/,
    cast: {
      boolean: (v) => String(v),
      date: (v) => v.toISOString(),
      object: (v) => JSON.stringify(v),
      bigint: (v) => String(v),
    },
  };
}

/** A text-format field: written as it is (text has no quoting). */
function plainField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
