// LocalFile source read throughput: rows per second through the source's own reader (file guard,
// parsing, type conversion), csv with a header and a typed schema, and JSON lines, in batches of
// 1,000 rows as a subtask reads them. No database: this measures the reader alone. One-off (not in
// `npm run bench`); to compare two versions, run it in both checkouts one after the other, a few
// rounds each, on the same machine.
//
//   node --import tsx bench/local-file-read.ts
//   BENCH_LOCAL_FILE_ROWS=500000 BENCH_LOCAL_FILE_ROUNDS=5
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createFileGuard, type FileGuard } from '../src/runtime/files/file-guard.ts';
import { localFileSource } from '../src/runtime/plugins/local-file-source.ts';
import { isMain, median, progress, runMain } from './support/main.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function readAllRows(options: Record<string, unknown>, files: FileGuard): Promise<number> {
  const reader = await localFileSource.open(options, {
    vertex: 'bench',
    subtaskIndex: 0,
    parallelism: 1,
    commitKey: 'bench',
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    files,
    splitCount: 1,
    bounded: true,
  });
  let rows = 0;
  for (;;) {
    const batch = await reader.read(1000);
    if (batch.kind !== 'rows') break;
    rows += batch.rows.length;
  }
  await reader.close();
  return rows;
}

export async function localFileReadBench(
  rows = num('BENCH_LOCAL_FILE_ROWS', 500_000),
  rounds = num('BENCH_LOCAL_FILE_ROUNDS', 5),
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jobgate-bench-file-'));
  try {
    const files = await createFileGuard([dir]);
    const csv = join(dir, 'rows.csv');
    const json = join(dir, 'rows.json');
    const ids = Array.from({ length: rows }, (_, i) => i);
    await writeFile(csv, 'id,name,score\n' + ids.map((i) => `${i},"name ${i}, x",${i / 4}\n`).join(''));
    await writeFile(
      json,
      ids.map((i) => `${JSON.stringify({ id: i, name: `name ${i}`, score: i / 4 })}\n`).join(''),
    );
    const formats = {
      csv: {
        path: csv,
        file_format_type: 'csv',
        csv_use_header_line: true,
        schema: { fields: { id: 'bigint', name: 'string', score: 'double' } },
      },
      json: { path: json, file_format_type: 'json' },
    };
    const rates: Record<string, number[]> = { csv: [], json: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [format, options] of Object.entries(formats)) {
        progress(`local file read: ${format}, round ${round + 1} of ${rounds}`);
        const started = process.hrtime.bigint();
        const read = await readAllRows(options, files);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (read !== rows) throw new Error(`${format}: read ${read} rows, expected ${rows}`);
        rates[format]!.push(rows / seconds);
      }
    }
    const line = (format: string) =>
      `| ${format} | ${Math.round(median(rates[format]!)).toLocaleString('en')} | ${rates[format]!.map((r) => Math.round(r / 1000)).join(', ')} |`;
    return [
      `LocalFile source read, ${rows.toLocaleString('en')} rows, batches of 1,000, ${rounds} rounds:`,
      '',
      '| format | median rows/s | rounds (thousand rows/s) |',
      '| --- | --- | --- |',
      line('csv'),
      line('json'),
    ].join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runMain(() => localFileReadBench());
