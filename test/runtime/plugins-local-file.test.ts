import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { localFileSource } from '../../src/runtime/plugins/local-file-source.ts';
import { localFileSink } from '../../src/runtime/plugins/local-file-sink.ts';
import { fakeSource } from '../../src/runtime/plugins/fake-source.ts';
import type { Row, SourceReader, SplitPosition } from '../../src/runtime/plugins/types.ts';
import { createFileGuard, type FileGuard } from '../../src/runtime/files/file-guard.ts';

const logger = pino({ level: 'silent' });
let dir: string;
/** The temp directory is these tests' one file root. */
let files: FileGuard;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobgate-plugins-'));
  files = await createFileGuard([dir]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function base(subtaskIndex = 0, parallelism = 1) {
  return {
    vertex: 'file',
    subtaskIndex,
    parallelism,
    commitKey: 'test',
    logger,
    signal: new AbortController().signal,
    files,
  };
}

async function openSource(
  options: Record<string, unknown>,
  at: {
    subtaskIndex?: number;
    parallelism?: number;
    restore?: Record<number, SplitPosition>;
    bounded?: boolean;
  } = {},
): Promise<SourceReader> {
  localFileSource.validate(options);
  const parallelism = at.parallelism ?? 1;
  return localFileSource.open(options, {
    ...base(at.subtaskIndex, parallelism),
    splitCount: await localFileSource.splitCount(options, parallelism, { files }),
    restore: at.restore,
    bounded: at.bounded ?? true,
  });
}

async function readAll(reader: SourceReader, batch = 1000): Promise<Row[]> {
  const rows: Row[] = [];
  for (;;) {
    const r = await reader.read(batch);
    if (r.kind !== 'rows') break;
    expect(r.rows.length).toBeLessThanOrEqual(batch);
    rows.push(...r.rows);
  }
  await reader.close();
  return rows;
}

describe('LocalFile source', () => {
  it('reads JSON lines from every file of a directory, one split per file', async () => {
    const d = join(dir, 'json');
    await mkdir(join(d, 'sub'), { recursive: true });
    await writeFile(join(d, 'a.json'), '{"id":1,"name":"x"}\n\n{"id":2,"name":"y"}\n');
    await writeFile(join(d, 'sub', 'b.json'), '{"id":3,"name":"z"}');
    await writeFile(join(d, '.hidden'), 'not json');
    const options = { path: d, file_format_type: 'json' };
    expect(await localFileSource.splitCount(options, 4, { files })).toBe(2);
    expect(await readAll(await openSource(options), 1)).toEqual([
      { id: 1, name: 'x' },
      { id: 2, name: 'y' },
      { id: 3, name: 'z' },
    ]);
    const r0 = await openSource(options, { subtaskIndex: 0, parallelism: 2 });
    const r1 = await openSource(options, { subtaskIndex: 1, parallelism: 2 });
    expect((await readAll(r0)).map((r) => r.id)).toEqual([1, 2]);
    expect((await readAll(r1)).map((r) => r.id)).toEqual([3]);
  });

  it('reads csv with a header line, or with a schema that converts types', async () => {
    const file = join(dir, 'people.csv');
    await writeFile(file, 'id,name,score\r\n1,"Ding, Joy",1.5\r\n2,"say ""hi""",\r\n');
    expect(
      await readAll(await openSource({ path: file, file_format_type: 'csv', csv_use_header_line: true })),
    ).toEqual([
      { id: '1', name: 'Ding, Joy', score: '1.5' },
      { id: '2', name: 'say "hi"', score: '' },
    ]);
    const typed = {
      path: file,
      file_format_type: 'csv',
      skip_header_row_number: 1,
      schema: { fields: { id: 'bigint', name: 'string', score: 'double' } },
    };
    expect(await readAll(await openSource(typed))).toEqual([
      { id: 1, name: 'Ding, Joy', score: 1.5 },
      { id: 2, name: 'say "hi"', score: null },
    ]);
  });

  it('reads quoted csv fields that span lines, and resumes after one', async () => {
    const file = join(dir, 'notes.csv');
    await writeFile(file, 'id,note\n1,"first line\nsecond, with ""quotes""\nthird"\n2,plain\n3,"x\ny"\n');
    const options = { path: file, file_format_type: 'csv', csv_use_header_line: true };
    const all = await readAll(await openSource(options));
    expect(all).toEqual([
      { id: '1', note: 'first line\nsecond, with "quotes"\nthird' },
      { id: '2', note: 'plain' },
      { id: '3', note: 'x\ny' },
    ]);
    // A position counts the lines of the records read: the first record ends on line 4.
    const first = await openSource(options);
    expect(((await first.read(1)) as { rows: Row[] }).rows).toEqual([all[0]]);
    const positions = first.positions();
    expect(positions).toEqual({ 0: { line: 4, file } });
    await first.close();
    expect(await readAll(await openSource(options, { restore: positions }))).toEqual(all.slice(1));
  });

  it('names the file and line of a quote that is never closed', async () => {
    const file = join(dir, 'open-quote.csv');
    await writeFile(file, 'a,b\n1,"never closed\n2,3\n');
    await expect(
      readAll(await openSource({ path: file, file_format_type: 'csv', csv_use_header_line: true })),
    ).rejects.toThrow(new RegExp(`^LocalFile ${file}:\\d+: Quote Not Closed`));
  });

  it('reads text lines, split by the delimiter when a schema is given', async () => {
    const file = join(dir, 'lines.txt');
    await writeFile(file, 'a|1\nb|2\n');
    expect(await readAll(await openSource({ path: file, file_format_type: 'text' }))).toEqual([
      { content: 'a|1' },
      { content: 'b|2' },
    ]);
    const options = {
      path: file,
      file_format_type: 'text',
      field_delimiter: '|',
      schema: { fields: { k: 'string', v: 'int' } },
    };
    expect(await readAll(await openSource(options))).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ]);
  });

  it('resumes from a line position', async () => {
    const file = join(dir, 'many.csv');
    const lines = ['n,sq', ...Array.from({ length: 5000 }, (_, i) => `${i},${i * i}`)];
    await writeFile(file, lines.join('\n') + '\n');
    const options = { path: file, file_format_type: 'csv', csv_use_header_line: true };
    const first = await openSource(options);
    const head = (await first.read(1234)) as { kind: 'rows'; rows: Row[] };
    expect(head.rows).toHaveLength(1234);
    const positions = first.positions();
    expect(positions).toEqual({ 0: { line: 1235, file } });
    await first.close();
    const rest = await readAll(await openSource(options, { restore: positions }), 999);
    expect(rest).toHaveLength(5000 - 1234);
    expect(rest[0]).toEqual({ n: '1234', sq: String(1234 * 1234) });
    expect([...head.rows, ...rest].map((r) => Number(r.n))).toEqual(
      Array.from({ length: 5000 }, (_, i) => i),
    );
  });

  it('fails on a bad line with the file and line number', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"a":1}\n[1,2]\n');
    await expect(readAll(await openSource({ path: file, file_format_type: 'json' }))).rejects.toThrow(
      `LocalFile ${file}:2: a JSON line must be an object`,
    );
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, 'x\n');
    await expect(
      readAll(await openSource({ path: csv, file_format_type: 'csv', schema: { fields: { n: 'int' } } })),
    ).rejects.toThrow(`LocalFile ${csv}:1: field "n": "x" is not a valid int`);
  });

  it('refuses to restore a split onto another file', async () => {
    const file = join(dir, 'lines.txt');
    await expect(
      openSource(
        { path: file, file_format_type: 'text' },
        { restore: { 0: { line: 1, file: '/elsewhere' } } },
      ),
    ).rejects.toThrow(/cannot restore split 0/);
  });

  it('validates options with paths', async () => {
    const error = (options: Record<string, unknown>) => {
      try {
        localFileSource.validate(options);
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(error({ file_format_type: 'json' })).toBe('path: is required');
    expect(error({ path: '/x', file_format_type: 'orc' })).toBe(
      'file_format_type: must be one of json, csv, text',
    );
    expect(error({ path: '/x', file_format_type: 'csv' })).toBe(
      'schema.fields: is required for csv files unless csv_use_header_line is true',
    );
    await expect(
      localFileSource.splitCount({ path: join(dir, 'missing'), file_format_type: 'json' }, 1, { files }),
    ).rejects.toThrow(/^path: no such file or directory/);
  });
});

describe('LocalFile sink', () => {
  it('appends one file per subtask and round-trips through the source', async () => {
    const out = join(dir, 'out-json');
    const fake = {
      'row.num': 300,
      seed: 3,
      schema: { fields: { id: 'bigint', name: 'string', ok: 'boolean' } },
    };
    const reader = await fakeSource.open(fake, { ...base(), splitCount: 1, bounded: true });
    const expected: Row[] = [];
    for (const subtask of [0, 1]) {
      const options = { path: out, file_format_type: 'json' };
      localFileSink.validate(options);
      const writer = await localFileSink.open(options, base(subtask, 2));
      for (let i = 0; i < 3; i++) {
        const r = await reader.read(50);
        if (r.kind !== 'rows') throw new Error('fake source ended early');
        expected.push(...r.rows);
        await writer.write(r.rows, reader.positions());
      }
      await writer.flush(reader.positions());
      await writer.close();
    }
    expect((await readFile(join(out, 'part-0.json'), 'utf8')).split('\n')).toHaveLength(151);
    expect(await readAll(await openSource({ path: out, file_format_type: 'json' }))).toEqual(expected);
  });

  it('writes csv with a header once and reads it back', async () => {
    const out = join(dir, 'out-csv');
    const options = { path: out, file_format_type: 'csv', enable_header_write: true };
    for (const batch of [
      [{ a: 1, b: 'x,y' }],
      [
        { a: 2, b: 'say "hi"' },
        { a: 3, b: null },
        { a: 4, b: 'two\nlines' },
      ],
    ]) {
      const writer = await localFileSink.open(options, base(0, 1));
      await writer.write(batch, {});
      await writer.flush({});
      await writer.close();
    }
    expect(await readFile(join(out, 'part-0.csv'), 'utf8')).toBe(
      'a,b\n1,"x,y"\n2,"say ""hi"""\n3,\n4,"two\nlines"\n',
    );
    const back = await readAll(
      await openSource({
        path: out,
        file_format_type: 'csv',
        csv_use_header_line: true,
        schema: { fields: { a: 'int', b: 'string' } },
      }),
    );
    expect(back).toEqual([
      { a: 1, b: 'x,y' },
      { a: 2, b: 'say "hi"' },
      { a: 3, b: '' },
      { a: 4, b: 'two\nlines' },
    ]);
  });
});
