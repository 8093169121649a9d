import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { assertSink } from '../../src/runtime/plugins/assert-sink.ts';
import { consoleSink } from '../../src/runtime/plugins/console-sink.ts';
import { PluginConfigError, PluginRuntimeError } from '../../src/runtime/plugins/types.ts';
import type { Row } from '../../src/runtime/plugins/types.ts';

function ctx(logger = pino({ level: 'silent' })) {
  return {
    vertex: 'sink',
    subtaskIndex: 1,
    parallelism: 2,
    commitKey: 'test',
    logger,
    signal: new AbortController().signal,
  };
}

const rules = {
  rules: {
    row_rules: [
      { rule_type: 'MIN_ROW', rule_value: 2 },
      { rule_type: 'MAX_ROW', rule_value: 3 },
    ],
    field_rules: [
      {
        field_name: 'name',
        field_type: 'string',
        field_value: [
          { rule_type: 'NOT_NULL' },
          { rule_type: 'MIN_LENGTH', rule_value: 3 },
          { rule_type: 'MAX_LENGTH', rule_value: 5 },
        ],
      },
      {
        field_name: 'age',
        field_type: 'int',
        field_value: [
          { rule_type: 'MIN', rule_value: 10 },
          { rule_type: 'MAX', rule_value: 99 },
        ],
      },
    ],
  },
};

async function check(rows: Row[], options: Record<string, unknown> = rules): Promise<string> {
  assertSink.validate(options);
  const writer = await assertSink.open(options, ctx());
  try {
    await writer.write(rows, {});
    await writer.flush({});
    await writer.finish?.();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginRuntimeError);
    return (err as Error).message;
  } finally {
    await writer.close();
  }
  return 'ok';
}

describe('Assert sink', () => {
  it('passes rows that keep every rule', async () => {
    expect(
      await check([
        { name: 'Joy', age: 20 },
        { name: 'Maya', age: 99 },
      ]),
    ).toBe('ok');
  });

  it('names the rule, the field and the offending value', async () => {
    expect(
      await check([
        { name: 'Joy', age: 20 },
        { name: 'Al', age: 20 },
      ]),
    ).toBe(
      'Assert rule MIN_LENGTH failed for field "name": value "Al" has length 2, less than 3 (row 2) (vertex sink, subtask 1)',
    );
    expect(await check([{ name: 'Joyce!', age: 20 }])).toMatch(
      /^Assert rule MAX_LENGTH failed for field "name": value "Joyce!" has length 6, more than 5/,
    );
    expect(await check([{ name: null, age: 20 }])).toMatch(
      /^Assert rule NOT_NULL failed for field "name": value null is null/,
    );
    expect(await check([{ name: 'Joy', age: 9 }])).toMatch(
      /^Assert rule MIN failed for field "age": value 9 is less than 10/,
    );
    expect(await check([{ name: 'Joy', age: 100 }])).toMatch(
      /^Assert rule MAX failed for field "age": value 100 is greater than 99/,
    );
    expect(await check([{ name: 'Joy', age: 'old' }])).toMatch(
      /^Assert rule field_type=int failed for field "age": value "old" is not of that type/,
    );
  });

  it('checks row counts of the subtask at finish', async () => {
    expect(await check([{ name: 'Joy', age: 20 }])).toBe(
      'Assert rule MIN_ROW failed: received 1 rows, fewer than 2 (vertex sink, subtask 1)',
    );
    const four = Array.from({ length: 4 }, () => ({ name: 'Joy', age: 20 }));
    expect(await check(four)).toMatch(/^Assert rule MAX_ROW failed: received 4 rows, more than 3/);
  });

  it('supports equals_to', async () => {
    const options = { rules: { field_rules: [{ field_name: 'k', field_value: [{ equals_to: 'x' }] }] } };
    expect(await check([{ k: 'x' }], options)).toBe('ok');
    expect(await check([{ k: 'y' }], options)).toMatch(
      /^Assert rule EQUALS_TO failed for field "k": value "y" does not equal "x"/,
    );
  });

  it('reports bad rules with their path', () => {
    const error = (options: Record<string, unknown>) => {
      try {
        assertSink.validate(options);
      } catch (err) {
        expect(err).toBeInstanceOf(PluginConfigError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(error({})).toBe('rules: is required');
    expect(error({ rules: { row_rules: [{ rule_type: 'ROWS', rule_value: 1 }] } })).toBe(
      'rules.row_rules[0].rule_type: must be one of min_row, max_row',
    );
    expect(
      error({ rules: { field_rules: [{ field_name: 'a', field_value: [{ rule_type: 'MIN' }] }] } }),
    ).toBe('rules.field_rules[0].field_value[0].rule_value: is required for MIN');
    expect(error({ rules: { field_rules: [{ field_value: [] }] } })).toBe(
      'rules.field_rules[0].field_name: is required',
    );
    expect(error({ 'rules.row_rules': [{ rule_type: 'min_row', rule_value: '5' }] })).toBe('no error');
  });
});

describe('Console sink', () => {
  it('logs a summary per batch and the first rows', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const options = { 'log.print.rows': 2 };
    consoleSink.validate(options);
    const writer = await consoleSink.open(options, ctx(pino({ level: 'info' }, stream)));
    await writer.write([{ a: 1 }, { a: 2 }, { a: 3 }], {});
    await writer.write([{ a: 4 }], {});
    await writer.flush({});
    await writer.finish?.();
    await writer.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l.msg)).toEqual([
      'console sink batch',
      'row',
      'row',
      'console sink batch',
      'row',
      'console sink finished',
    ]);
    expect(lines[0]).toMatchObject({ vertex: 'sink', subtaskIndex: 1, rows: 3, total: 3 });
    expect(lines.filter((l) => l.msg === 'row').map((l) => l.row)).toEqual([{ a: 1 }, { a: 2 }, { a: 4 }]);
    expect(lines[5]).toMatchObject({ total: 4, batches: 2 });
  });
});
