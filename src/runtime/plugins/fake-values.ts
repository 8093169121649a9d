/**
 * FakeSource's value generators. Every value is a pure function of (seed, field, global row number),
 * so a row is the same whatever batch it lands in, after a restore, and on whichever subtask reads it.
 * Generators are built once per reader; the per-row work is a few integer hash rounds and the row
 * object itself.
 */
import { PluginConfigError } from './types.ts';
import { readInt, readNumber, type Options } from './options.ts';

export type FakeFieldType =
  | 'string'
  | 'boolean'
  | 'tinyint'
  | 'smallint'
  | 'int'
  | 'bigint'
  | 'float'
  | 'double'
  | 'decimal'
  | 'date'
  | 'timestamp';

export interface FakeField {
  name: string;
  type: FakeFieldType;
  /** decimal(p, s) */
  precision?: number;
  scale?: number;
}

/** A value from the field's hash `h` (uniform 32-bit) and the row's global number `g`. */
export type FakeGenerator = (h: number, g: number) => unknown;

const SIMPLE_TYPES: readonly FakeFieldType[] = [
  'string',
  'boolean',
  'tinyint',
  'smallint',
  'int',
  'bigint',
  'float',
  'double',
  'date',
  'timestamp',
];
const TYPE_ALIASES: Record<string, FakeFieldType> = { long: 'bigint', integer: 'int', short: 'smallint' };

export const DEFAULT_FAKE_FIELDS: readonly FakeField[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'string' },
  { name: 'value', type: 'double' },
];

export function parseFakeField(path: string, name: string, spec: string): FakeField {
  const text = spec.trim().toLowerCase();
  const decimal = /^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(text);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision < 1 || precision > 38 || scale > precision) {
      throw new PluginConfigError(
        path,
        `decimal(${precision}, ${scale}) needs 1 <= precision <= 38 and scale <= precision`,
      );
    }
    return { name, type: 'decimal', precision, scale };
  }
  if (text === 'decimal') return { name, type: 'decimal', precision: 38, scale: 18 };
  const type = TYPE_ALIASES[text] ?? SIMPLE_TYPES.find((t) => t === text);
  if (!type) {
    throw new PluginConfigError(
      path,
      `unsupported type "${spec}"; expected one of ${SIMPLE_TYPES.join(', ')}, decimal(p,s)`,
    );
  }
  return { name, type };
}

/** 32-bit integer finaliser (lowbias32): good avalanche for a few multiplies. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO_32 = 4294967296;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// Two letters per lookup halves the string concatenations of the common short strings.
const PAIRS: string[] = [];
for (const a of LETTERS) for (const b of LETTERS) PAIRS.push(a + b);
const PAIR_COUNT = PAIRS.length; // 2704; two pair indexes fit in one 32-bit hash

function integerRange(options: Options, type: string, min: number, max: number): [number, number] {
  const lo = readInt(options, `${type}.min`, { min, max }) ?? Math.max(min, 0);
  const hi = readInt(options, `${type}.max`, { min, max }) ?? max;
  if (lo > hi) throw new PluginConfigError(`${type}.min`, `must be <= ${type}.max`);
  return [lo, hi];
}

function floatRange(options: Options, type: string, max: number): [number, number] {
  const lo = readNumber(options, `${type}.min`) ?? 0;
  const hi = readNumber(options, `${type}.max`) ?? max;
  if (lo > hi) throw new PluginConfigError(`${type}.min`, `must be <= ${type}.max`);
  return [lo, hi];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Builds the generator of one field. Option names follow SeaTunnel's FakeSource (`string.length`,
 * `int.min`, `int.max`, `bigint.min`, ...). A field named `id` of type int or bigint is the row's
 * global number instead of a random value, which makes every row identifiable.
 */
export function createGenerator(field: FakeField, options: Options): FakeGenerator {
  if (field.name === 'id' && (field.type === 'int' || field.type === 'bigint')) return (_h, g) => g;
  switch (field.type) {
    case 'string':
      return stringGenerator(readInt(options, 'string.length', { min: 1, max: 1_000_000 }) ?? 5);
    case 'boolean':
      return (h) => (h & 1) === 1;
    case 'tinyint':
    case 'smallint':
    case 'int': {
      const bits = field.type === 'tinyint' ? 7 : field.type === 'smallint' ? 15 : 31;
      const [lo, hi] = integerRange(options, field.type, -(2 ** bits), 2 ** bits - 1);
      const span = hi - lo + 1;
      return (h) => lo + (h % span);
    }
    case 'bigint': {
      const [lo, hi] = integerRange(options, 'bigint', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const span = hi - lo + 1;
      // 53 random bits from two words; numbers stay exact below 2^53, so bigint values are JS numbers.
      return (h) => lo + (((mix32(h ^ 0x9e3779b9) & 0x1fffff) * TWO_32 + h) % span);
    }
    case 'double': {
      const [lo, hi] = floatRange(options, 'double', 1000);
      const width = hi - lo;
      return (h) => lo + ((mix32(h ^ 0x9e3779b9) * TWO_32 + h) / 18446744073709551616) * width;
    }
    case 'float': {
      const [lo, hi] = floatRange(options, 'float', 1000);
      const width = hi - lo;
      return (h) => Math.fround(lo + (h / TWO_32) * width);
    }
    case 'date':
      // Days between 2000-01-01 and 2039-12-31.
      return (h) => new Date(946684800000 + (h % 14610) * 86400000).toISOString().slice(0, 10);
    case 'timestamp':
      // Whole seconds between 2000-01-01 and 2039-12-31, in SeaTunnel's default datetime format.
      return (h) => {
        const iso = new Date(946684800000 + (h % 1262304000) * 1000).toISOString();
        return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
      };
    case 'decimal':
      return decimalGenerator(field.precision ?? 38, field.scale ?? 18);
  }
}

function stringGenerator(length: number): FakeGenerator {
  if (length === 5) {
    return (h) => {
      const a = h % PAIR_COUNT;
      const b = ((h / PAIR_COUNT) >>> 0) % PAIR_COUNT;
      const h2 = mix32(h ^ 0x85ebca6b);
      return (PAIRS[a] as string) + (PAIRS[b] as string) + LETTERS[h2 % 52];
    };
  }
  return (h) => {
    let out = '';
    let x = h;
    while (out.length + 2 <= length) {
      out += PAIRS[x % PAIR_COUNT] as string;
      x = mix32(x ^ 0x27d4eb2f);
    }
    if (out.length < length) out += LETTERS[x % 52];
    return out;
  };
}

/** decimal(p, s) as an exact string (Postgres numeric accepts it; a JS number could not hold it). */
function decimalGenerator(precision: number, scale: number): FakeGenerator {
  const intDigits = precision - scale;
  return (h) => {
    let x = h;
    let digits = '';
    while (digits.length < precision) {
      x = mix32(x ^ 0x165667b1);
      digits += pad(x % 1_000_000_000, 9);
    }
    digits = digits.slice(0, precision);
    const intPart = intDigits > 0 ? digits.slice(0, intDigits).replace(/^0+(?=\d)/, '') : '0';
    const sign = h & 1 ? '-' : '';
    return scale > 0 ? `${sign}${intPart}.${digits.slice(intDigits)}` : `${sign}${intPart}`;
  };
}
