// A batch of changes as few statements as keep its meaning: consecutive upserts of one table become
// one multi-row upsert, consecutive deletes one delete, in the order they came. Within one upsert
// the images of a key are merged, later values over earlier ones (as applying them one by one would
// leave it). An image may lack columns (PostgreSQL's unchanged TOASTed values): an upsert writes only
// the columns its rows carry, so `columnGroups` splits its rows by the columns they have.
import type { Row } from '../plugins/types.ts';
import type { Change, TableDef } from './endpoint-types.ts';

export type Statement = { kind: 'upsert' | 'delete'; def: TableDef; rows: Row[] };

/** A row's key as text; binary key values by their bytes (as UTF-8 two keys could read the same). */
const keyText = (def: TableDef, row: Row) =>
  JSON.stringify(
    def.primaryKey.map((k) => {
      const value = row[k];
      return Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : String(value ?? '');
    }),
  );

export function groupChanges(defs: Map<string, TableDef>, changes: Change[]): Statement[] {
  const out: (Statement & { keys: Map<string, number> })[] = [];
  const push = (kind: Statement['kind'], def: TableDef, row: Row) => {
    let current = out[out.length - 1];
    if (!current || current.kind !== kind || current.def !== def) {
      current = { kind, def, rows: [], keys: new Map<string, number>() };
      out.push(current);
    }
    const key = keyText(def, row);
    const at = current.keys.get(key);
    if (at !== undefined) current.rows[at] = { ...current.rows[at], ...row };
    else {
      current.keys.set(key, current.rows.length);
      current.rows.push(row);
    }
  };
  for (const change of changes) {
    const def = defs.get(`${change.schema}.${change.table}`);
    if (!def) continue;
    if (change.op === 'delete') {
      push('delete', def, change.row);
      continue;
    }
    if (change.op === 'update' && change.before && keyText(def, change.before) !== keyText(def, change.row))
      push('delete', def, change.before);
    push('upsert', def, change.row);
  }
  return out.map(({ kind, def, rows }) => ({ kind, def, rows }));
}

/** An upsert's rows split by the columns they carry (key columns always), in the table's column
 * order: each group is one statement that leaves the columns a row lacks as they are. */
export function columnGroups(def: TableDef, rows: Row[]): { columns: TableDef['columns']; rows: Row[] }[] {
  const groups = new Map<string, { columns: TableDef['columns']; rows: Row[] }>();
  for (const row of rows) {
    const columns = def.columns.filter((c) => row[c.name] !== undefined || def.primaryKey.includes(c.name));
    const signature = columns.map((c) => c.name).join('\u0000');
    let group = groups.get(signature);
    if (!group) groups.set(signature, (group = { columns, rows: [] }));
    group.rows.push(row);
  }
  return [...groups.values()];
}
