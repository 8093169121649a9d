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
  return pull(open, async function* (input) {
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      yield { value: text, line: ++line };
    }
  });
}

/** The file's CSV records from line `fromLine` on, empty lines skipped; `name` labels errors. */
export function csvRecords(
  open: OpenFile,
  options: { delimiter: string; fromLine: number; name: string },
): FileRecords<string[]> {
  return pull(open, async function* (input) {
    const parser = parse({
      delimiter: options.delimiter,
      from_line: options.fromLine,
      record_delimiter: ['\r\n', '\n'],
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      bom: true,
      info: true,
      max_record_size: MAX_CSV_RECORD_BYTES,
    });
    try {
      for await (const { record, info } of pipeline(input, parser, () => {}) as AsyncIterable<{
        record: string[];
        info: { lines: number };
      }>) {
        yield { value: record, line: info.lines };
      }
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      const at = (err as CsvError & { lines?: number }).lines;
      throw new PluginRuntimeError(`LocalFile ${options.name}${at ? `:${at}` : ''}: ${err.message}`, {
        cause: err,
      });
    }
  });
}

/** Records pulled from a stream over the opened file, a batch at a time. */
function pull<T>(open: OpenFile, records: (input: Readable) => AsyncIterable<FileRecord<T>>): FileRecords<T> {
  let handle: FileHandle | undefined;
  let input: Readable | undefined;
  let iterator: AsyncIterator<FileRecord<T>> | undefined;
  let done = false;
  return {
    async next(max) {
      if (done) return [];
      if (!iterator) {
        handle = await open();
        input = handle.createReadStream({ autoClose: false });
        iterator = records(input)[Symbol.asyncIterator]();
      }
      const out: FileRecord<T>[] = [];
      while (out.length < max) {
        const step = await iterator.next();
        if (step.done) {
          done = true;
          break;
        }
        out.push(step.value);
      }
      return out;
    },
    async close() {
      done = true;
      const opened = handle;
      handle = undefined;
      input?.destroy();
      await iterator?.return?.().catch(() => {});
      iterator = undefined;
      await opened?.close();
    },
  };
}
