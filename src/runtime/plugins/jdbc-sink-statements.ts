/**
 * The statements of the Jdbc sink: the offsets table, and the multi-row inserts that carry a commit.
 *
 * A commit is normally ONE autocommitted statement: the rows' insert as a data-modifying CTE and the
 * offsets upsert as the main statement (`with w as (insert …) insert into jobgate_sink_offsets …`).
 * A statement is atomic, so the rows and their positions land together or not at all, in one round
 * trip instead of begin + insert + upsert + commit. The bench's side-by-side baselines measured this
 * shape at 112–121% of plain batched inserts, the transaction shape well below.
 * PostgreSQL runs a data-modifying CTE to completion even though nothing reads its output.
 */
import { quoteIdent } from './options.ts';

/** Bind parameters per statement: the protocol counts them in 16 bits, and postgres.js refuses more
 * than 65,534 (MAX_PARAMETERS_EXCEEDED). */
export const MAX_PARAMETERS = 65_534;
/** Bind parameters the offsets upsert takes ($1 commit key, $2 splits, $3 positions). */
export const OFFSET_PARAMETERS = 3;

export const CREATE_OFFSETS = `create table if not exists jobgate_sink_offsets (
  commit_key text not null,
  split int not null,
  position jsonb not null,
  committed_at timestamptz not null default now(),
  primary key (commit_key, split)
)`;

export const UPSERT_OFFSETS = `insert into jobgate_sink_offsets (commit_key, split, position, committed_at)
select $1, t.split, t.position::jsonb, now() from unnest($2::int[], $3::text[]) as t(split, position)
on conflict (commit_key, split) do update set position = excluded.position, committed_at = excluded.committed_at`;

/** Builds (and keeps) the insert texts of one target table, by columns, row count and shape. */
export class InsertStatements {
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly table: string,
    private readonly primaryKeys: string[],
  ) {}

  /** `withOffsets`: the insert is a CTE of the offsets upsert, its rows' parameters start at $4. */
  text(columns: string[], count: number, withOffsets: boolean): string {
    const cacheKey = `${withOffsets ? 'o' : 'i'}${count}\u0000${columns.join('\u0000')}`;
    let text = this.texts.get(cacheKey);
    if (text !== undefined) return text;
    const insert = this.insert(columns, count, withOffsets ? OFFSET_PARAMETERS : 0);
    text = withOffsets ? `with w as (${insert}) ${UPSERT_OFFSETS}` : insert;
    // Full batches reuse one text (and so one prepared statement); odd sizes come and go.
    if (this.texts.size > 64) this.texts.clear();
    this.texts.set(cacheKey, text);
    return text;
  }

  private insert(columns: string[], count: number, first: number): string {
    const width = columns.length;
    const tuples: string[] = new Array(count);
    for (let r = 0; r < count; r++) {
      const slots: string[] = new Array(width);
      for (let c = 0; c < width; c++) slots[c] = `$${first + r * width + c + 1}`;
      tuples[r] = `(${slots.join(',')})`;
    }
    let text = `insert into ${this.table} (${columns.map(quoteIdent).join(',')}) values ${tuples.join(',')}`;
    const pks = this.primaryKeys;
    if (pks.length > 0) {
      const updates = columns
        .filter((c) => !pks.includes(c))
        .map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`);
      text += ` on conflict (${pks.map(quoteIdent).join(',')}) do ${updates.length > 0 ? `update set ${updates.join(',')}` : 'nothing'}`;
    }
    return text;
  }
}
