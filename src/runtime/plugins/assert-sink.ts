/**
 * Assert sink (SeaTunnel's AssertSink): fails the subtask when the data breaks a rule.
 *
 * `rules.field_rules`: `[{ field_name, field_type?, field_value?: [{ rule_type, rule_value?,
 * equals_to? }] }]` with rule_type NOT_NULL, MIN, MAX (numeric bounds), MIN_LENGTH, MAX_LENGTH (string
 * length). Checked on every row; a null value breaks only NOT_NULL. `field_type` checks the JS value
 * (string, boolean, int/bigint/…, float/double, decimal, date/timestamp, array<…>, map<…>).
 * `rules.row_rules`: `[{ rule_type: MIN_ROW | MAX_ROW, rule_value }]`, checked in finish() against the
 * rows THIS SUBTASK received: with parallelism p each subtask must satisfy them on its own share
 * (SeaTunnel counts per process; a subtask is our unit).
 * A violation throws PluginRuntimeError naming the rule, the field and the offending value.
 */
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type { Json, Row, SinkPlugin, SinkWriter } from './types.ts';
import {
  hasOption,
  readEnum,
  readNumber,
  readObjectList,
  readString,
  requireString,
  type Options,
} from './options.ts';

const FIELD_RULES = ['not_null', 'min', 'max', 'min_length', 'max_length'] as const;
const ROW_RULES = ['min_row', 'max_row'] as const;

interface ValueRule {
  type: Uppercase<(typeof FIELD_RULES)[number]> | 'EQUALS_TO';
  value?: number;
  equalsTo?: Json;
}
interface FieldRule {
  field: string;
  fieldType?: string;
  typeCheck?: (value: unknown) => boolean;
  rules: ValueRule[];
}
interface RowRule {
  type: 'MIN_ROW' | 'MAX_ROW';
  value: number;
}

const INTEGER_TYPES = ['tinyint', 'byte', 'smallint', 'short', 'int', 'integer', 'bigint', 'long'];

function typeChecker(path: string, type: string): (value: unknown) => boolean {
  const t = type.trim().toLowerCase();
  if (t === 'string') return (v) => typeof v === 'string';
  if (t === 'boolean') return (v) => typeof v === 'boolean';
  if (INTEGER_TYPES.includes(t)) {
    // Postgres bigint arrives as a string from postgres.js.
    return (v) =>
      Number.isInteger(v) || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+$/.test(v));
  }
  if (t === 'float' || t === 'double') return (v) => typeof v === 'number';
  if (t === 'decimal' || t === 'bigdecimal' || /^decimal\s*\(\s*\d+\s*,\s*\d+\s*\)$/.test(t)) {
    return (v) =>
      typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
  }
  if (t === 'date' || t === 'timestamp' || t === 'time' || t === 'instant') {
    return (v) => v instanceof Date || typeof v === 'string';
  }
  if (t.startsWith('array<')) return (v) => Array.isArray(v);
  if (t.startsWith('map<')) return (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  throw new PluginConfigError(path, `unsupported field_type "${type}"`);
}

function parseAssert(options: Options): { fieldRules: FieldRule[]; rowRules: RowRule[] } {
  if (
    !hasOption(options, 'rules') &&
    !hasOption(options, 'rules.row_rules') &&
    !hasOption(options, 'rules.field_rules')
  ) {
    throw new PluginConfigError('rules', 'is required');
  }
  const fieldRules = (readObjectList(options, 'rules.field_rules') ?? []).map((raw, i) => {
    const path = `rules.field_rules[${i}]`;
    const field = requireStringAt(raw, path, 'field_name');
    const fieldType = readString(raw, 'field_type');
    const rules = (readObjectList(raw, 'field_value') ?? []).map((r, j) =>
      parseValueRule(r, `${path}.field_value[${j}]`),
    );
    return {
      field,
      fieldType,
      typeCheck: fieldType !== undefined ? typeChecker(`${path}.field_type`, fieldType) : undefined,
      rules,
    };
  });
  const rowRules = (readObjectList(options, 'rules.row_rules') ?? []).map((raw, i) => {
    const path = `rules.row_rules[${i}]`;
    const type = at(path, () => readEnum(raw, 'rule_type', ROW_RULES));
    if (!type) throw new PluginConfigError(`${path}.rule_type`, 'is required (MIN_ROW or MAX_ROW)');
    const value = at(path, () => readNumber(raw, 'rule_value'));
    if (value === undefined || !Number.isInteger(value) || value < 0) {
      throw new PluginConfigError(`${path}.rule_value`, 'must be a non-negative integer');
    }
    return { type: type.toUpperCase() as RowRule['type'], value };
  });
  return { fieldRules, rowRules };
}

function parseValueRule(raw: Options, path: string): ValueRule {
  if (raw.equals_to !== undefined && raw.rule_type === undefined)
    return { type: 'EQUALS_TO', equalsTo: raw.equals_to as Json };
  const type = at(path, () => readEnum(raw, 'rule_type', FIELD_RULES));
  if (!type)
    throw new PluginConfigError(`${path}.rule_type`, `is required (${FIELD_RULES.join(', ').toUpperCase()})`);
  const upper = type.toUpperCase() as ValueRule['type'];
  if (upper === 'NOT_NULL') return { type: upper };
  const value = at(path, () => readNumber(raw, 'rule_value'));
  if (value === undefined) throw new PluginConfigError(`${path}.rule_value`, `is required for ${upper}`);
  return { type: upper, value };
}

function requireStringAt(raw: Options, path: string, key: string): string {
  return at(path, () => requireString(raw, key));
}

/** Runs a reader on a nested object and prefixes its error path with where the object is. */
function at<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PluginConfigError)
      throw new PluginConfigError(`${path}.${err.path}`, err.message.slice(err.path.length + 2));
    throw err;
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? String(value);
}

/** Why `value` breaks `rule`, or undefined when it holds. */
function violation(rule: ValueRule, value: unknown): string | undefined {
  if (value === null || value === undefined) return rule.type === 'NOT_NULL' ? 'is null' : undefined;
  const bound = rule.value as number;
  switch (rule.type) {
    case 'NOT_NULL':
      return undefined;
    case 'MIN':
    case 'MAX': {
      const n = typeof value === 'number' ? value : Number(value);
      if (Number.isNaN(n)) return 'is not a number';
      if (rule.type === 'MIN' && n < bound) return `is less than ${bound}`;
      if (rule.type === 'MAX' && n > bound) return `is greater than ${bound}`;
      return undefined;
    }
    case 'MIN_LENGTH':
    case 'MAX_LENGTH': {
      const length = (typeof value === 'string' ? value : String(value)).length;
      if (rule.type === 'MIN_LENGTH' && length < bound) return `has length ${length}, less than ${bound}`;
      if (rule.type === 'MAX_LENGTH' && length > bound) return `has length ${length}, more than ${bound}`;
      return undefined;
    }
    case 'EQUALS_TO':
      return JSON.stringify(value) === JSON.stringify(rule.equalsTo)
        ? undefined
        : `does not equal ${show(rule.equalsTo)}`;
  }
}

export const assertSink: SinkPlugin = {
  name: 'Assert',
  exactlyOnce: false,
  validate(options) {
    parseAssert(options);
  },
  async open(options, ctx) {
    const { fieldRules, rowRules } = parseAssert(options);
    let count = 0;
    const fail = (message: string) => {
      throw new PluginRuntimeError(`Assert ${message} (vertex ${ctx.vertex}, subtask ${ctx.subtaskIndex})`);
    };
    const writer: SinkWriter = {
      async write(rows: Row[]) {
        for (const row of rows) {
          count++;
          for (const fr of fieldRules) {
            const value = row[fr.field];
            if (fr.typeCheck && value !== null && value !== undefined && !fr.typeCheck(value)) {
              fail(
                `rule field_type=${fr.fieldType} failed for field "${fr.field}": value ${show(value)} is not of that type (row ${count})`,
              );
            }
            for (const rule of fr.rules) {
              const why = violation(rule, value);
              if (why)
                fail(
                  `rule ${rule.type} failed for field "${fr.field}": value ${show(value)} ${why} (row ${count})`,
                );
            }
          }
        }
      },
      async flush() {},
      async finish() {
        for (const rule of rowRules) {
          if (rule.type === 'MIN_ROW' && count < rule.value) {
            fail(`rule MIN_ROW failed: received ${count} rows, fewer than ${rule.value}`);
          }
          if (rule.type === 'MAX_ROW' && count > rule.value) {
            fail(`rule MAX_ROW failed: received ${count} rows, more than ${rule.value}`);
          }
        }
      },
      async close() {},
    };
    return writer;
  },
};
