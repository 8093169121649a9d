// The shape every status machine of jobgate shares: a tuple of statuses, their names as constants,
// and a table of allowed transitions. The machines themselves are in the *-status.ts files beside
// this one; status writes check them (runtime/**/transition-*.ts).

/** A tuple's values by name, so code says `RunStatus.RUNNING` and never retypes the string. */
export type Named<T extends readonly string[]> = { readonly [K in T[number]]: K };

export function named<const T extends readonly string[]>(values: T): Named<T> {
  return Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as Named<T>;
}

/** From each status, the statuses it may move to. */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

/** The statuses that may move to `to`. */
export function sourcesOf<S extends string>(transitions: Transitions<S>, to: S): S[] {
  return (Object.keys(transitions) as S[]).filter((from) => transitions[from].includes(to));
}

/**
 * The statuses a write to `to` accepts its rows in (the write puts them in its WHERE, so a row that
 * moved meanwhile is left alone). By default every status the table lets move to `to`; a caller may
 * narrow that, and may name `to` itself to make the write idempotent. Naming a status the table
 * does not let move to `to` is a programming error.
 */
export function fromSet<S extends string>(
  transitions: Transitions<S>,
  to: S,
  from?: readonly S[],
): readonly S[] {
  if (!from) return sourcesOf(transitions, to);
  for (const s of from) {
    if (s !== to && !transitions[s].includes(to)) {
      throw new Error(`status machine: ${s} → ${to} is not an allowed transition`);
    }
  }
  return from;
}

/** Whether `value` is in a named set (the sets are narrower tuples than the union they hold). */
export function isIn<S extends string>(set: readonly S[], value: string): value is S {
  return (set as readonly string[]).includes(value);
}
