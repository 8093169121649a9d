/**
 * Copy: adds fields holding copies of others. `fields` maps new field → source field (SeaTunnel 2.3);
 * the older `src_field` / `dest_field` pair copies one field. Input rows are not modified; values are
 * copied shallowly (an object value is shared by both fields).
 */
import { PluginConfigError } from './types.ts';
import type { Row, TransformPlugin } from './types.ts';
import { hasOption, readStringMap, requireString, type Options } from './options.ts';

function parseCopy(options: Options): Array<[string, string]> {
  const fields = readStringMap(options, 'fields');
  const legacy = hasOption(options, 'src_field') || hasOption(options, 'dest_field');
  if (fields && legacy) throw new PluginConfigError('src_field', 'cannot be combined with fields');
  if (legacy) return [[requireString(options, 'dest_field'), requireString(options, 'src_field')]];
  if (!fields || fields.size === 0) {
    throw new PluginConfigError('fields', 'is required (a map of new field to source field)');
  }
  return [...fields];
}

export const copy: TransformPlugin = {
  name: 'Copy',
  validate(options) {
    parseCopy(options);
  },
  create(options) {
    const pairs = parseCopy(options);
    return (rows) => {
      const out: Row[] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as Row;
        const copied: Row = { ...row };
        for (const [dest, src] of pairs) copied[dest] = row[src] ?? null;
        out[r] = copied;
      }
      return out;
    };
  },
};
