const CONSTANT = /^[A-Za-z0-9_.:-]+$/;

/**
 * Renders constants of jobgate's own tuples (statuses, kinds, roles: see status.ts) as SQL
 * literals: one value as `'RUNNING'`, a list as `('SCHEDULED', 'DEPLOYING')` for `in`. Rendering
 * them as text keeps hand-written statements constant (prepared once, readable in a log), and
 * the statuses in one place. Never for input: anything but a plain word is refused.
 */
export function sqlLiteral(value: string | readonly string[]): string {
  if (typeof value !== 'string') {
    if (value.length === 0) throw new Error('sqlLiteral: an empty list has no SQL literal');
    return `(${value.map((v) => sqlLiteral(v)).join(', ')})`;
  }
  if (!CONSTANT.test(value)) throw new Error(`sqlLiteral: ${JSON.stringify(value)} is not a constant`);
  return `'${value}'`;
}
