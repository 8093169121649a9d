import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { fieldMapper } from '../../src/runtime/plugins/field-mapper.ts';
import { filter } from '../../src/runtime/plugins/filter.ts';
import { replace } from '../../src/runtime/plugins/replace.ts';
import { copy } from '../../src/runtime/plugins/copy.ts';
import type { Row, TransformPlugin } from '../../src/runtime/plugins/types.ts';

const ctx = {
  vertex: 't',
  subtaskIndex: 0,
  parallelism: 1,
  commitKey: 'test',
  logger: pino({ level: 'silent' }),
  signal: new AbortController().signal,
};

function run(plugin: TransformPlugin, options: Record<string, unknown>, rows: Row[]): Row[] {
  plugin.validate(options);
  return plugin.create(options, ctx)(rows);
}

function configError(plugin: TransformPlugin, options: Record<string, unknown>): string {
  try {
    plugin.validate(options);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

const people: Row[] = [
  { id: 1, name: 'Joy Ding', age: 20, card: 123 },
  { id: 2, name: 'May Ding', age: 35, card: null },
  { id: 3, name: 'Kin Dom', age: 41, card: 7 },
];

describe('FieldMapper', () => {
  it('keeps only the mapped fields, renamed, in the order of the map', () => {
    const out = run(fieldMapper, { field_mapper: { card: 'card_no', id: 'key', name: 'full_name' } }, people);
    expect(out).toEqual([
      { card_no: 123, key: 1, full_name: 'Joy Ding' },
      { card_no: null, key: 2, full_name: 'May Ding' },
      { card_no: 7, key: 3, full_name: 'Kin Dom' },
    ]);
    expect(Object.keys(out[0] as Row)).toEqual(['card_no', 'key', 'full_name']);
    expect(people[0]).toEqual({ id: 1, name: 'Joy Ding', age: 20, card: 123 });
  });

  it('requires field_mapper', () => {
    expect(configError(fieldMapper, {})).toBe('field_mapper: is required (a map of old name to new name)');
    expect(configError(fieldMapper, { field_mapper: { a: 'x', b: 'x' } })).toBe(
      'field_mapper.b: maps a second field to "x"',
    );
  });
});

describe('Filter', () => {
  it('keeps include_fields in their order', () => {
    const out = run(filter, { include_fields: ['name', 'id'] }, people);
    expect(out[0]).toEqual({ name: 'Joy Ding', id: 1 });
    expect(Object.keys(out[0] as Row)).toEqual(['name', 'id']);
  });

  it('drops exclude_fields', () => {
    expect(run(filter, { exclude_fields: ['age', 'card'] }, people)).toEqual([
      { id: 1, name: 'Joy Ding' },
      { id: 2, name: 'May Ding' },
      { id: 3, name: 'Kin Dom' },
    ]);
  });

  it('selects rows with where before removing fields', () => {
    expect(run(filter, { where: 'age >= 35', include_fields: ['id'] }, people)).toEqual([
      { id: 2 },
      { id: 3 },
    ]);
    expect(run(filter, { where: "name = 'Kin Dom'" }, people).map((r) => r.id)).toEqual([3]);
    expect(run(filter, { where: 'card != null and age < 30' }, people).map((r) => r.id)).toEqual([1]);
    expect(run(filter, { where: 'card = null' }, people).map((r) => r.id)).toEqual([2]);
    expect(run(filter, { where: 'card > 5' }, people).map((r) => r.id)).toEqual([1, 3]);
    // Numeric strings (Postgres bigint) compare as numbers.
    expect(run(filter, { where: 'n > 9' }, [{ n: '10' }, { n: '9' }])).toEqual([{ n: '10' }]);
  });

  it('needs exactly one of include_fields and exclude_fields, and a well-formed where', () => {
    expect(configError(filter, {})).toBe(
      'include_fields: is required (set include_fields or exclude_fields)',
    );
    expect(configError(filter, { include_fields: ['a'], exclude_fields: ['b'] })).toBe(
      'exclude_fields: cannot be combined with include_fields',
    );
    expect(configError(filter, { where: 'age >' })).toMatch(/^where: must be conditions like/);
    expect(configError(filter, { where: 'age > 3; drop table x' })).toMatch(
      /^where: cannot parse at "; drop table x"/,
    );
    expect(configError(filter, { fields: ['a'] })).toBe('no error');
  });
});

describe('Replace', () => {
  const rows: Row[] = [{ name: 'a.b.c', n: 5 }, { name: null }];

  it('replaces literal text everywhere, or only the first match', () => {
    expect(run(replace, { replace_field: 'name', pattern: '.', replacement: '$' }, rows)).toEqual([
      { name: 'a$b$c', n: 5 },
      { name: null },
    ]);
    expect(
      run(replace, { replace_field: 'name', pattern: '.', replacement: '_', replace_first: true }, rows)[0],
    ).toEqual({
      name: 'a_b.c',
      n: 5,
    });
    expect(rows[0]).toEqual({ name: 'a.b.c', n: 5 });
  });

  it('replaces regex matches with group references', () => {
    const options = { replace_field: 'name', pattern: '([a-z])\\.', replacement: '$1-', is_regex: true };
    expect(run(replace, options, rows)[0]).toEqual({ name: 'a-b-c', n: 5 });
    expect(run(replace, { ...options, replace_first: 'true' }, rows)[0]).toEqual({ name: 'a-b.c', n: 5 });
  });

  it('validates its options', () => {
    expect(configError(replace, { pattern: 'x', replacement: 'y' })).toBe('replace_field: is required');
    expect(
      configError(replace, { replace_field: 'a', pattern: '(', replacement: '', is_regex: true }),
    ).toMatch(/^pattern: is not a valid regular expression/);
    expect(
      configError(replace, { replace_field: 'a', pattern: 'x', replacement: 'y', is_regex: 'yes' }),
    ).toBe('is_regex: must be true or false');
  });
});

describe('Copy', () => {
  it('copies fields from the fields map (new field = source field)', () => {
    const out = run(copy, { fields: { name1: 'name', age1: 'age' } }, people);
    expect(out[0]).toEqual({ id: 1, name: 'Joy Ding', age: 20, card: 123, name1: 'Joy Ding', age1: 20 });
    expect(people[0]).not.toHaveProperty('name1');
  });

  it('accepts the older src_field / dest_field', () => {
    expect(run(copy, { src_field: 'card', dest_field: 'card2' }, people).map((r) => r.card2)).toEqual([
      123,
      null,
      7,
    ]);
  });

  it('validates its options', () => {
    expect(configError(copy, {})).toBe('fields: is required (a map of new field to source field)');
    expect(configError(copy, { src_field: 'a' })).toBe('dest_field: is required');
  });
});

describe('patterns a job writes', () => {
  const replaceWith = (pattern: string) => ({
    replace_field: 'name',
    pattern,
    replacement: 'x',
    is_regex: true,
  });

  it('refuses nested quantifiers, which backtrack exponentially, and over-long patterns', () => {
    for (const pattern of ['(a+)+b', '((.*)*)*[^\\s\\S]', '(\\w*)*$']) {
      expect(configError(replace, replaceWith(pattern))).toMatch(/^pattern: nests quantifiers/);
    }
    expect(configError(replace, replaceWith('a'.repeat(1_001)))).toMatch(/^pattern: is longer than 1000/);
  });

  it('accepts ordinary patterns (the control)', () => {
    expect(configError(replace, replaceWith('^part-\\d+\\.json$'))).toBe('no error');
    expect(run(replace, replaceWith('[aeiou]+'), [{ name: 'queue' }])).toEqual([{ name: 'qx' }]);
  });
});
