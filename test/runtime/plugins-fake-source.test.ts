import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { fakeSource } from '../../src/runtime/plugins/fake-source.ts';
import { PluginConfigError } from '../../src/runtime/plugins/types.ts';
import type { Row, SourceReader, SplitPosition } from '../../src/runtime/plugins/types.ts';

const logger = pino({ level: 'silent' });

async function open(
  options: Record<string, unknown>,
  at: {
    subtaskIndex?: number;
    parallelism?: number;
    bounded?: boolean;
    restore?: Record<number, SplitPosition>;
  } = {},
): Promise<SourceReader> {
  const parallelism = at.parallelism ?? 1;
  return fakeSource.open(options, {
    vertex: 'fake',
    subtaskIndex: at.subtaskIndex ?? 0,
    parallelism,
    commitKey: 'test',
    logger,
    signal: new AbortController().signal,
    splitCount: await fakeSource.splitCount(options, parallelism),
    bounded: at.bounded ?? true,
    restore: at.restore,
  });
}

async function readAll(reader: SourceReader, batch: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (;;) {
    const result = await reader.read(batch);
    if (result.kind !== 'rows') return rows;
    expect(result.rows.length).toBeLessThanOrEqual(batch);
    rows.push(...result.rows);
  }
}

describe('FakeSource', () => {
  const options = { 'row.num': 250, 'split.num': 3, seed: 7 };

  it('generates the same rows whatever the batch size', async () => {
    const a = await readAll(await open(options), 7);
    const b = await readAll(await open(options), 1000);
    expect(a).toHaveLength(750);
    expect(b).toEqual(a);
    expect(a[0]).toEqual({ id: 0, name: expect.any(String), value: expect.any(Number) });
    expect(new Set(a.map((r) => r.name)).size).toBeGreaterThan(700);
  });

  it('resumes from a position with exactly the rows that follow it', async () => {
    const full = await readAll(await open(options), 100);
    const first = await open(options);
    const head: Row[] = [];
    while (head.length < 320) {
      const r = await first.read(40);
      if (r.kind === 'rows') head.push(...r.rows);
    }
    const positions = first.positions();
    expect(positions).toEqual({ 0: { offset: 250 }, 1: { offset: 70 }, 2: { offset: 0 } });
    const rest = await readAll(await open(options, { restore: positions }), 33);
    expect([...head, ...rest]).toEqual(full);
  });

  it('depends on the seed, but ids do not', async () => {
    const a = await readAll(await open({ 'row.num': 20, seed: 1 }), 50);
    const b = await readAll(await open({ 'row.num': 20, seed: 2 }), 50);
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    expect(a.map((r) => r.name)).not.toEqual(b.map((r) => r.name));
  });

  it('splits rows across two readers so that each row is read exactly once', async () => {
    const single = await readAll(await open({ ...options }), 64);
    const r0 = await open(options, { subtaskIndex: 0, parallelism: 2 });
    const r1 = await open(options, { subtaskIndex: 1, parallelism: 2 });
    expect(r0.splits).toEqual([0, 2]);
    expect(r1.splits).toEqual([1]);
    const both = [...(await readAll(r0, 64)), ...(await readAll(r1, 64))];
    expect(both).toHaveLength(750);
    const ids = both.map((r) => r.id as number).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 750 }, (_, i) => i));
    // The same row, whichever subtask reads it.
    const byId = new Map(single.map((r) => [r.id, r]));
    for (const row of both) expect(row).toEqual(byId.get(row.id));
  });

  it('defaults split.num to the parallelism: row.num rows per split', async () => {
    const r0 = await open({ 'row.num': 10 }, { subtaskIndex: 0, parallelism: 3 });
    expect(r0.splits).toEqual([0]);
    expect(fakeSource.splitCount({ 'row.num': 10 }, 3)).toBe(3);
    const rows = await readAll(r0, 100);
    expect(rows.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('ends when bounded and stays idle when streaming', async () => {
    const bounded = await open({ 'row.num': 5 });
    expect((await bounded.read(10)).kind).toBe('rows');
    expect(await bounded.read(10)).toEqual({ kind: 'end' });
    const streaming = await open({ 'row.num': 5 }, { bounded: false });
    expect((await streaming.read(10)).kind).toBe('rows');
    expect(await streaming.read(10)).toEqual({ kind: 'idle' });
    expect(await streaming.read(10)).toEqual({ kind: 'idle' });
    expect(streaming.positions()).toEqual({ 0: { offset: 5 } });
  });

  it('generates every supported type', async () => {
    const fields = {
      id: 'int',
      s: 'string',
      b: 'boolean',
      i: 'int',
      big: 'bigint',
      d: 'double',
      f: 'float',
      dec: 'decimal(10, 2)',
      day: 'date',
      ts: 'timestamp',
    };
    const rows = await readAll(
      await open({ 'row.num': 50, schema: { fields }, 'string.length': 9, 'int.min': 10, 'int.max': 20 }),
      50,
    );
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(Object.keys(fields));
      expect(r.s).toMatch(/^[A-Za-z]{9}$/);
      expect(typeof r.b).toBe('boolean');
      expect(r.i).toBeGreaterThanOrEqual(10);
      expect(r.i).toBeLessThanOrEqual(20);
      expect(Number.isSafeInteger(r.big)).toBe(true);
      expect(typeof r.d).toBe('number');
      expect(Math.fround(r.f as number)).toBe(r.f);
      expect(r.dec).toMatch(/^-?\d{1,8}\.\d{2}$/);
      expect(r.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(r.ts).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
    expect(new Set(rows.map((r) => r.b)).size).toBe(2);
  });

  it('reads nested options the same as flat dotted keys', async () => {
    const flat = await readAll(
      await open({ 'row.num': 12, 'schema.fields': { id: 'bigint', n: 'string' } }),
      5,
    );
    const nested = await readAll(
      await open({ row: { num: 12 }, schema: { fields: { id: 'bigint', n: 'string' } } }),
      5,
    );
    const flatter = await readAll(
      await open({ 'row.num': 12, 'schema.fields.id': 'bigint', 'schema.fields.n': 'string' }),
      5,
    );
    expect(flat).toHaveLength(12);
    expect(nested).toEqual(flat);
    expect(flatter).toEqual(flat);
  });

  it('limits the rate with rows.per.second', async () => {
    const reader = await open({ 'row.num': 60, 'rows.per.second': 200 });
    const started = performance.now();
    const rows = await readAll(reader, 1000);
    expect(rows).toHaveLength(60);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('rejects bad options with the option path', () => {
    const error = (options: Record<string, unknown>) => {
      try {
        fakeSource.validate(options);
      } catch (err) {
        expect(err).toBeInstanceOf(PluginConfigError);
        return (err as PluginConfigError).message;
      }
      return 'no error';
    };
    expect(error({ 'row.num': 0 })).toBe('row.num: must be a positive integer');
    expect(error({ row: { num: 'many' } })).toBe('row.num: must be a positive integer');
    expect(error({ 'split.num': -2 })).toMatch(/^split\.num: must be an integer between 1 and/);
    expect(error({ schema: { fields: { a: 'uuid' } } })).toMatch(
      /^schema\.fields\.a: unsupported type "uuid"/,
    );
    expect(error({ schema: { fields: { a: 'decimal(50, 2)' } } })).toMatch(
      /^schema\.fields\.a: decimal\(50, 2\)/,
    );
    expect(error({ 'int.min': 5, 'int.max': 1, schema: { fields: { a: 'int' } } })).toBe(
      'int.min: must be <= int.max',
    );
    expect(error({ 'rows.per.second': 0 })).toBe('rows.per.second: must be a positive number');
    expect(error({ 'row.num': 2 ** 31, 'split.num': 2, schema: { fields: { id: 'int' } } })).toMatch(
      /^row\.num: /,
    );
    expect(error({ 'row.num': '100' })).toBe('no error');
  });

  it('refuses a restore position it cannot honour', async () => {
    await expect(open({ 'row.num': 5 }, { restore: { 0: { offset: 9 } } })).rejects.toThrow(
      /cannot restore split 0/,
    );
  });
});
