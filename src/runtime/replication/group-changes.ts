// A batch of changes as few statements as keep its meaning: consecutive upserts of one table become
// one multi-row upsert, consecutive deletes one delete, in the order they came. Within one upsert
// the last image of a key wins (as applying them one by one would leave it).
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
    if (at !== undefined) current.rows[at] = row;
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
