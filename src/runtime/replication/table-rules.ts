// Which tables a replication takes (its `tables` minus its `ignore`), and what they are called at
// the destination (its `rename`).
import type { RenameRule, TableRule } from './replication-spec.ts';
import type { TableName } from './endpoint-types.ts';

function matches(rule: TableRule, t: TableName): boolean {
  if (rule.schema !== undefined && rule.schema !== t.schema) return false;
  if (rule.schemaRegex !== undefined && !new RegExp(rule.schemaRegex).test(t.schema)) return false;
  if (rule.table !== undefined && rule.table !== t.table) return false;
  if (rule.tableRegex !== undefined && !new RegExp(rule.tableRegex).test(t.table)) return false;
  return true;
}

/** The tables `tables` selects (all when empty) that `ignore` does not. */
export function selectTables(
  all: TableName[],
  tables: TableRule[] | null | undefined,
  ignore: TableRule[] | null | undefined,
): TableName[] {
  return all.filter(
    (t) =>
      (!tables?.length || tables.some((r) => matches(r, t))) && !(ignore ?? []).some((r) => matches(r, t)),
  );
}

/** Explicit `{ schema, table }` rules name tables that must exist: the ones missing, with their index. */
export function missingTables(all: TableName[], tables: TableRule[] | null | undefined) {
  const missing: { index: number; name: string }[] = [];
  (tables ?? []).forEach((rule, index) => {
    if (rule.schema === undefined) return;
    const found = all.some(
      (t) => t.schema === rule.schema && (rule.table === undefined || t.table === rule.table),
    );
    if (!found && (rule.table !== undefined || rule.tableRegex === undefined))
      missing.push({ index, name: rule.table !== undefined ? `${rule.schema}.${rule.table}` : rule.schema });
  });
  return missing;
}

/** The table's name at the destination: the most specific rename rule wins. */
export function renamed(t: TableName, rules: RenameRule[] | null | undefined): TableName {
  const exact = rules?.find((r) => r.schema === t.schema && r.table === t.table);
  const bySchema = rules?.find((r) => r.schema === t.schema && r.table === undefined);
  return {
    schema: exact?.toSchema ?? bySchema?.toSchema ?? t.schema,
    table: exact?.toTable ?? t.table,
  };
}
