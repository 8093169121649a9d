/**
 * Filter: SeaTunnel's field filter. Exactly one of `include_fields` (keep these, in this order; the
 * older `fields` means the same) or `exclude_fields` (drop these). The optional `where`
 * (see row-predicate.ts) drops rows first, so it may test a field that is then removed. With only
 * `where`, every field is kept.
 */
import { PluginConfigError } from './types.ts';
import type { Row, TransformPlugin } from './types.ts';
import { hasOption, readString, readStringList, type Options } from './options.ts';
import { parseRowPredicate, type RowPredicate } from './row-predicate.ts';

interface FilterConfig {
  include?: string[];
  exclude?: string[];
  where?: RowPredicate;
}

function parseFilter(options: Options): FilterConfig {
  const includeKey = hasOption(options, 'include_fields') ? 'include_fields' : 'fields';
  const include = readStringList(options, includeKey);
  const exclude = readStringList(options, 'exclude_fields');
  const whereText = readString(options, 'where');
  const where = whereText !== undefined ? parseRowPredicate('where', whereText) : undefined;
  if (include && exclude)
    throw new PluginConfigError('exclude_fields', 'cannot be combined with include_fields');
  if (!include && !exclude && !where) {
    throw new PluginConfigError('include_fields', 'is required (set include_fields or exclude_fields)');
  }
  return { include, exclude, where };
}

function project(config: FilterConfig): ((row: Row) => Row) | undefined {
  const { include, exclude } = config;
  if (include) {
    return (row) => {
      const out: Row = {};
      for (const f of include) if (f in row) out[f] = row[f];
      return out;
    };
  }
  if (exclude) {
    const dropped = new Set(exclude);
    return (row) => {
      const out: Row = {};
      for (const key in row) if (!dropped.has(key)) out[key] = row[key];
      return out;
    };
  }
  return undefined;
}

export const filter: TransformPlugin = {
  name: 'Filter',
  validate(options) {
    parseFilter(options);
  },
  create(options) {
    const config = parseFilter(options);
    const where = config.where;
    const shape = project(config);
    return (rows) => {
      const kept = where ? rows.filter(where) : rows;
      return shape ? kept.map(shape) : kept;
    };
  },
};
