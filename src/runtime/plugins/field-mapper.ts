/**
 * FieldMapper: `field_mapper` maps old field name → new name. Like SeaTunnel, the output keeps only
 * the mapped fields, in the order of the map; a mapped field missing from a row becomes null.
 */
import { PluginConfigError } from './types.ts';
import type { Row, TransformPlugin } from './types.ts';
import { readStringMap, type Options } from './options.ts';

function parseFieldMapper(options: Options): Array<[string, string]> {
  const map = readStringMap(options, 'field_mapper');
  if (!map || map.size === 0)
    throw new PluginConfigError('field_mapper', 'is required (a map of old name to new name)');
  const seen = new Set<string>();
  for (const [from, to] of map) {
    if (seen.has(to)) throw new PluginConfigError(`field_mapper.${from}`, `maps a second field to "${to}"`);
    seen.add(to);
  }
  return [...map];
}

export const fieldMapper: TransformPlugin = {
  name: 'FieldMapper',
  validate(options) {
    parseFieldMapper(options);
  },
  create(options) {
    const pairs = parseFieldMapper(options);
    const from = pairs.map(([f]) => f);
    const to = pairs.map(([, t]) => t);
    const width = pairs.length;
    return (rows) => {
      const out: Row[] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as Row;
        const mapped: Row = {};
        for (let i = 0; i < width; i++) mapped[to[i] as string] = row[from[i] as string] ?? null;
        out[r] = mapped;
      }
      return out;
    };
  },
};
