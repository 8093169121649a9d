/**
 * FakeSource: deterministic generated rows, for demos, tests and benchmarks.
 *
 * Options (SeaTunnel spellings; flat dotted keys or nested objects):
 * - `row.num` (default 5): rows per split.
 * - `split.num` (default: the parallelism): number of splits; total rows = row.num × split.num.
 *   Split s is read by subtask s % parallelism. Set it explicitly to keep the same splits (and rows)
 *   when a savepoint is restored with another parallelism.
 * - `schema.fields`: name → type (string, boolean, tinyint, smallint, int, bigint, float, double,
 *   decimal(p,s), date, timestamp). Default `{ id: bigint, name: string, value: double }`.
 * - `seed` (integer, default 0): every value is a function of (seed, field, global row number), so
 *   row k of split s is the same across batch sizes, restores and subtasks.
 * - Identity: the global row number of row k of split s is `s × row.num + k` (0-based); a field named
 *   `id` of type int or bigint carries it, so ids are unique over the whole source.
 * - `rows.per.second` (optional): rate limit per reader. `split.read-interval` (ms, optional): pause
 *   before starting each further split, like SeaTunnel's reader.
 * - `string.length`, `int.min`/`int.max`, `bigint.min`/`bigint.max`, `double.min`/`double.max`, ...
 *   bound random values; bigint values are JS numbers (within ±2^53).
 *
 * Position of a split: `{ offset: k }`, the rows of it already emitted. Bounded reads end when every
 * owned split is exhausted; streaming reads then report idle forever (SeaTunnel does the same).
 */
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type { ReadResult, Row, SourcePlugin, SourceReader, SplitPosition } from './types.ts';
import { readInt, readNumber, readStringMap, sleep, type Options } from './options.ts';
import {
  DEFAULT_FAKE_FIELDS,
  createGenerator,
  mix32,
  parseFakeField,
  type FakeField,
  type FakeGenerator,
} from './fake-values.ts';

interface FakeConfig {
  rowNum: number;
  splitNum?: number;
  fields: readonly FakeField[];
  seed: number;
  rowsPerSecond?: number;
  splitReadInterval: number;
}

function parseFakeOptions(options: Options): FakeConfig {
  const rowNum = readInt(options, 'row.num', { min: 1 }) ?? 5;
  const splitNum = readInt(options, 'split.num', { min: 1, max: 1_000_000 });
  const spec = readStringMap(options, 'schema.fields');
  if (spec && spec.size === 0) throw new PluginConfigError('schema.fields', 'must name at least one field');
  const fields = spec
    ? [...spec].map(([name, type]) => parseFakeField(`schema.fields.${name}`, name, type))
    : DEFAULT_FAKE_FIELDS;
  const seed = readInt(options, 'seed') ?? 0;
  const rowsPerSecond = readNumber(options, 'rows.per.second');
  if (rowsPerSecond !== undefined && rowsPerSecond <= 0) {
    throw new PluginConfigError('rows.per.second', 'must be a positive number');
  }
  const splitReadInterval = readInt(options, 'split.read-interval', { min: 0 }) ?? 0;
  // Build every generator once so that bad ranges (int.min > int.max, ...) fail validation.
  for (const field of fields) createGenerator(field, options);
  if (splitNum !== undefined) checkIdRange(fields, rowNum, splitNum);
  return { rowNum, splitNum, fields, seed, rowsPerSecond, splitReadInterval };
}

function checkIdRange(fields: readonly FakeField[], rowNum: number, splitCount: number): void {
  const id = fields.find((f) => f.name === 'id');
  const limit = id?.type === 'int' ? 2 ** 31 : id?.type === 'bigint' ? Number.MAX_SAFE_INTEGER : Infinity;
  if (rowNum * splitCount > limit) {
    throw new PluginConfigError(
      'row.num',
      `row.num × split count exceeds the range of the ${id?.type} id field`,
    );
  }
}

class FakeReader implements SourceReader {
  readonly splits: readonly number[];
  private readonly offsets: number[];
  private readonly names: string[];
  private readonly generators: FakeGenerator[];
  private readonly salts: number[];
  private readonly seedSalt: number;
  private current = 0;
  private startedSplit = false;
  private rateStart = 0;
  private rateEmitted = 0;

  constructor(
    private readonly config: FakeConfig,
    options: Options,
    splits: number[],
    restore: Record<number, SplitPosition> | undefined,
    private readonly bounded: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.splits = splits;
    this.offsets = splits.map((s) => restoredOffset(s, restore?.[s], config.rowNum));
    this.names = config.fields.map((f) => f.name);
    this.generators = config.fields.map((f) => createGenerator(f, options));
    this.seedSalt = mix32((config.seed >>> 0) ^ mix32(Math.floor(config.seed / 4294967296) >>> 0));
    this.salts = config.fields.map((_f, i) => mix32(this.seedSalt + Math.imul(i + 1, 0x9e3779b9)));
  }

  async read(max: number): Promise<ReadResult> {
    const { rowNum, splitReadInterval } = this.config;
    let budget = Math.max(1, Math.floor(max));
    if (this.config.rowsPerSecond !== undefined) {
      budget = Math.min(budget, await this.rateBudget(this.config.rowsPerSecond));
      if (budget === 0) return { kind: 'idle' };
    }
    const rows: Row[] = [];
    while (rows.length < budget && this.current < this.splits.length) {
      const offset = this.offsets[this.current] as number;
      if (offset >= rowNum) {
        this.current++;
        this.startedSplit = false;
        // SeaTunnel's reader pauses between splits; stop here so the pause happens on the next read.
        if (splitReadInterval > 0 && rows.length > 0) break;
        continue;
      }
      if (!this.startedSplit && splitReadInterval > 0 && this.current > 0) {
        await sleep(splitReadInterval, this.signal);
      }
      this.startedSplit = true;
      const n = Math.min(budget - rows.length, rowNum - offset);
      this.generate(rows, this.splits[this.current] as number, offset, n);
      this.offsets[this.current] = offset + n;
    }
    this.rateEmitted += rows.length;
    if (rows.length > 0) return { kind: 'rows', rows };
    return this.bounded ? { kind: 'end' } : { kind: 'idle' };
  }

  private generate(out: Row[], split: number, from: number, count: number): void {
    const { names, generators, salts, seedSalt } = this;
    const width = names.length;
    let g = split * this.config.rowNum + from;
    for (let i = 0; i < count; i++, g++) {
      const base = mix32(((g >>> 0) ^ mix32(((g / 4294967296) >>> 0) ^ seedSalt)) >>> 0);
      const row: Row = {};
      for (let f = 0; f < width; f++) {
        row[names[f] as string] = (generators[f] as FakeGenerator)(mix32(base ^ (salts[f] as number)), g);
      }
      out.push(row);
    }
  }

  /** Rows the rate limit allows now, waiting until at least one is allowed (or cancel). */
  private async rateBudget(rowsPerSecond: number): Promise<number> {
    const now = performance.now();
    if (this.rateStart === 0) this.rateStart = now;
    let allowed = Math.floor(((now - this.rateStart) / 1000) * rowsPerSecond) - this.rateEmitted;
    if (allowed > rowsPerSecond) {
      // After a long pause do not burst more than one second's worth.
      this.rateEmitted += allowed - Math.ceil(rowsPerSecond);
      allowed = Math.ceil(rowsPerSecond);
    }
    // Timers may fire a little early, so wait until a row is really allowed (or cancel).
    while (allowed < 1) {
      await sleep(Math.max(1, Math.ceil(((1 - allowed) * 1000) / rowsPerSecond)), this.signal);
      if (this.signal.aborted) return 0;
      allowed = Math.floor(((performance.now() - this.rateStart) / 1000) * rowsPerSecond) - this.rateEmitted;
    }
    return allowed;
  }

  positions(): Record<number, SplitPosition> {
    const out: Record<number, SplitPosition> = {};
    for (let i = 0; i < this.splits.length; i++)
      out[this.splits[i] as number] = { offset: this.offsets[i] as number };
    return out;
  }

  async close(): Promise<void> {}
}

function restoredOffset(split: number, position: SplitPosition | undefined, rowNum: number): number {
  if (position === undefined) return 0;
  const offset = position.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > rowNum) {
    throw new PluginRuntimeError(
      `FakeSource cannot restore split ${split} from ${JSON.stringify(position)}: offset must be an integer in 0..${rowNum}`,
    );
  }
  return offset;
}

export const fakeSource: SourcePlugin = {
  name: 'FakeSource',
  validate(options) {
    parseFakeOptions(options);
  },
  splitCount(options, parallelism) {
    return readInt(options, 'split.num', { min: 1 }) ?? parallelism;
  },
  async open(options, ctx) {
    const config = parseFakeOptions(options);
    checkIdRange(config.fields, config.rowNum, ctx.splitCount);
    const splits: number[] = [];
    for (let s = ctx.subtaskIndex; s < ctx.splitCount; s += ctx.parallelism) splits.push(s);
    return new FakeReader(config, options, splits, ctx.restore, ctx.bounded, ctx.signal);
  },
};
