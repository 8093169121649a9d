/**
 * Replace: rewrites one string field. Options (SeaTunnel's): `replace_field`, `pattern`, `replacement`,
 * `is_regex` (default false: `pattern` is literal text), `replace_first` (default false: every match).
 * Regex replacements may use `$1`-style groups, as in Java. Values that are not strings (null,
 * numbers) pass unchanged. Input rows are not modified.
 */
import { compileUserRegex } from './user-regex.ts';
import { PluginConfigError } from './types.ts';
import type { Row, TransformPlugin } from './types.ts';
import { readBoolean, readString, requireString, type Options } from './options.ts';

interface ReplaceConfig {
  field: string;
  apply: (value: string) => string;
}

function parseReplace(options: Options): ReplaceConfig {
  const field = requireString(options, 'replace_field');
  const pattern = requireString(options, 'pattern');
  const replacement = readString(options, 'replacement');
  if (replacement === undefined) throw new PluginConfigError('replacement', 'is required');
  const isRegex = readBoolean(options, 'is_regex') ?? false;
  const first = readBoolean(options, 'replace_first') ?? false;
  if (isRegex) {
    const regex = compileUserRegex(pattern, 'pattern', first ? '' : 'g');
    return { field, apply: (value) => value.replace(regex, replacement) };
  }
  // A function replacement keeps a literal replacement's `$` from being read as a group reference.
  const literal = () => replacement;
  return {
    field,
    apply: first ? (value) => value.replace(pattern, literal) : (value) => value.replaceAll(pattern, literal),
  };
}

export const replace: TransformPlugin = {
  name: 'Replace',
  validate(options) {
    parseReplace(options);
  },
  create(options) {
    const { field, apply } = parseReplace(options);
    return (rows) => {
      const out: Row[] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as Row;
        const value = row[field];
        out[r] = typeof value === 'string' ? { ...row, [field]: apply(value) } : row;
      }
      return out;
    };
  },
};
