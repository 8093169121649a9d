/** A row a foreign key guarantees; its absence is a bug, not a client error. */
export function mustExist<T>(row: T | null | undefined, what: string, id: string): T {
  if (row === null || row === undefined) throw new Error(`${what} ${id} is referenced but missing`);
  return row;
}
