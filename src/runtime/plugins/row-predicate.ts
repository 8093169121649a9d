/**
 * The Filter transform's optional `where`: conditions `<field> <op> <literal>` joined by `and`, with
 * op one of = != <> > >= < <= and a literal that is a number, a quoted string ('…' or "…"), true,
 * false or null. Parsed into closures once; nothing is evaluated as code.
 *
 * A comparison with a null field is false, as in SQL, except `= null` / `!= null`. A number literal
 * compares numerically (numeric strings such as Postgres bigint values are converted).
 */
import { PluginConfigError } from './types.ts';
import type { Row } from './types.ts';

export type RowPredicate = (row: Row) => boolean;
type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';
type Literal = string | number | boolean | null;

const TOKEN =
  /\s*(?:(and)\b|("(?:[^"]|"")*"|'(?:[^']|'')*')|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b|(==|!=|<>|>=|<=|=|>|<)|([A-Za-z_][\w.]*))/iy;

interface Token {
  kind: 'and' | 'string' | 'number' | 'op' | 'word';
  text: string;
}

function tokenize(path: string, source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (!m) throw new PluginConfigError(path, `cannot parse at "${source.slice(at).trim()}"`);
    if (m[1]) tokens.push({ kind: 'and', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'string', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'number', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'op', text: m[4] });
    else tokens.push({ kind: 'word', text: m[5] as string });
  }
  return tokens;
}

function literalOf(token: Token): Literal {
  if (token.kind === 'number') return Number(token.text);
  if (token.kind === 'string') {
    const quote = token.text[0] as string;
    return token.text.slice(1, -1).replaceAll(quote + quote, quote);
  }
  const word = token.text.toLowerCase();
  if (word === 'true' || word === 'false') return word === 'true';
  if (word === 'null') return null;
  throw new Error(token.text);
}

export function parseRowPredicate(path: string, source: string): RowPredicate {
  const tokens = tokenize(path, source);
  const conditions: RowPredicate[] = [];
  for (let i = 0; ; i += 4) {
    const [field, op, value, joiner] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]];
    const fieldName =
      field?.kind === 'word'
        ? field.text
        : field?.kind === 'string' && field.text[0] === '"'
          ? (literalOf(field) as string)
          : undefined;
    if (!fieldName || op?.kind !== 'op' || !value || value.kind === 'op' || value.kind === 'and') {
      throw new PluginConfigError(path, 'must be conditions like `<field> <op> <literal>` joined by and');
    }
    let literal: Literal;
    try {
      literal = literalOf(value);
    } catch {
      throw new PluginConfigError(
        path,
        `"${value.text}" is not a literal (number, 'string', true, false or null)`,
      );
    }
    const normalized = op.text === '==' ? '=' : op.text === '<>' ? '!=' : (op.text as Op);
    conditions.push(compare(path, fieldName, normalized, literal));
    if (!joiner) break;
    if (joiner.kind !== 'and') throw new PluginConfigError(path, `expected and, got "${joiner.text}"`);
  }
  if (conditions.length === 1) return conditions[0] as RowPredicate;
  return (row) => conditions.every((c) => c(row));
}

function compare(path: string, field: string, op: Op, literal: Literal): RowPredicate {
  if (literal === null) {
    if (op === '=') return (row) => row[field] === null || row[field] === undefined;
    if (op === '!=') return (row) => row[field] !== null && row[field] !== undefined;
    throw new PluginConfigError(path, `null can only be compared with = or !=`);
  }
  if (typeof literal === 'boolean') {
    if (op === '=') return (row) => row[field] === literal;
    if (op === '!=')
      return (row) => row[field] !== null && row[field] !== undefined && row[field] !== literal;
    throw new PluginConfigError(path, `true/false can only be compared with = or !=`);
  }
  const test = TESTS[op];
  if (typeof literal === 'number') {
    return (row) => {
      const value = row[field];
      if (value === null || value === undefined) return false;
      const n = typeof value === 'number' ? value : Number(value);
      return !Number.isNaN(n) && test(n, literal);
    };
  }
  return (row) => {
    const value = row[field];
    if (value === null || value === undefined) return false;
    return test(typeof value === 'string' ? value : String(value), literal);
  };
}

const TESTS: Record<Op, (a: number | string, b: number | string) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};
