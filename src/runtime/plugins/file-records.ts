/**
 * Pull-based reading of one local file for the LocalFile source: the source asks for up to n records
 * per batch and nothing more is parsed, so memory stays at a stream chunk or so however large the
 * file is (both node:readline and csv-parse pause the file stream while their consumer does not
 * pull). Lines (node:readline) for json and text; records for csv (csv-parse, RFC 4180: a quoted field
 * may hold the delimiter, doubled quotes and line breaks, so one record may span several lines).
 */
import type { FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { PluginRuntimeError } from './types.ts';

export interface FileRecord<T> {
  value: T;
  /** The 1-based line of the file the record ends on: lines consumed once it is read. */
  line: number;
}

export interface FileRecords<T> {
  /** Up to `max` records; an empty array means the file is exhausted. */
  next(max: number): Promise<FileRecord<T>[]>;
  close(): Promise<void>;
}

/** Opens the file (the LocalFile source passes its file guard's checked open). */
export type OpenFile = () => Promise<FileHandle>;

/** A quoted field left open would otherwise buffer the rest of the file as one record. */
export const MAX_CSV_RECORD_BYTES = 16 * 1024 * 1024;

/** The file's lines without their line endings (`\n`, `\r\n`). */
export function fileLines(open: OpenFile): FileRecords<string> {
  let line = 0;
  return pull(open, {
    items: (input) => createInterface({ input, crlfDelay: Infinity }),
    record: (text: string) => ({ value: text, line: ++line }),
  });
}

/**
 * The file's CSV records from line `fromLine` on; `name` labels errors. Each record's line is counted
 * here (one line, plus the line breaks inside its quoted fields): csv-parse's own `info` costs about
 * two thirds of the read rate. Empty lines come through as one empty field, for the caller to skip.
 */
export function csvRecords(
  open: OpenFile,
  options: { delimiter: string; fromLine: number; name: string },
): FileRecords<string[]> {
  let line = options.fromLine - 1;
  return pull(open, {
    items: (input) =>
      pipeline(
        input,
        parse({
          delimiter: options.delimiter,
          from_line: options.fromLine,
          record_delimiter: ['\r\n', '\n'],
          relax_column_count: true,
          relax_quotes: true,
          bom: true,
          max_record_size: MAX_CSV_RECORD_BYTES,
        }),
        () => {},
      ) as AsyncIterable<string[]>,
    record: (fields: string[]) => {
      line += 1;
      for (const field of fields) if (field.includes('\n')) line += field.split('\n').length - 1;
      return { value: fields, line };
    },
    error: (err) => {
      if (!(err instanceof CsvError)) return err;
      const at = (err as CsvError & { lines?: number }).lines;
      return new PluginRuntimeError(`LocalFile ${options.name}${at ? `:${at}` : ''}: ${err.message}`, {
        cause: err,
      });
    },
  });
}

interface Source<I, T> {
  /** What the stream over the opened file yields (lines, csv records). */
  items(input: Readable): AsyncIterable<I>;
  record(item: I): FileRecord<T>;
  /** The error to report for one the reading threw. */
  error?(err: unknown): unknown;
}

/** Records pulled from a stream over the opened file, a batch at a time. */
function pull<I, T>(open: OpenFile, source: Source<I, T>): FileRecords<T> {
  let handle: FileHandle | undefined;
  let input: Readable | undefined;
  let items: AsyncIterator<I> | undefined;
  let done = false;
  return {
    async next(max) {
      if (done) return [];
      if (!items) {
        handle = await open();
        input = handle.createReadStream({ autoClose: false });
        items = source.items(input)[Symbol.asyncIterator]();
      }
      const out: FileRecord<T>[] = [];
      try {
        while (out.length < max) {
          const step = await items.next();
          if (step.done) {
            done = true;
            break;
          }
          out.push(source.record(step.value));
        }
      } catch (err) {
        throw source.error ? source.error(err) : err;
      }
      return out;
    },
    async close() {
      done = true;
      const opened = handle;
      handle = undefined;
      input?.destroy();
      await items?.return?.().catch(() => {});
      items = undefined;
      await opened?.close();
    },
  };
}
