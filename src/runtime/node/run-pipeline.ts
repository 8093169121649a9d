// A pipeline assignment: for its parallel index, every source reads its share of the splits and
// pushes batches through its chain of transforms into the sinks, in this one place (no shuffle).
import type { Logger } from '../../lib/logger.ts';
import { coerceError } from '../../lib/errors.ts';
import { findSink, findSource, findTransform } from '../plugins/index.ts';
import { sourceSplitCount } from '../plugins/restored-splits.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import type { ConnectionAccess, Row, SinkWriter, SourceReader, SplitPosition } from '../plugins/types.ts';
import type { FileGuard } from '../files/file-guard.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import type { SubtaskMetricSample } from '../sql/write-metrics.ts';
import type { AssignmentContext } from './assignment-context.ts';
import { createRunLogLogger } from './run-log-logger.ts';

export interface PipelineControls {
  logger: Logger;
  logs: LogAppender;
  /** Cancel: stop at once, flush nothing. */
  cancel: AbortSignal;
  /** Graceful stop: sources stop, what was read reaches the sinks, sinks flush. */
  stop: AbortSignal;
  /** The attempt was abandoned (it outlived its cancel grace): close what the plugins hold now,
   * even while a read or write is still waiting on it. */
  kill?: AbortSignal;
  /** The node's file roots, for plugins that take a path. */
  files?: FileGuard;
  /** Split positions to resume from, by source vertex name (checkpoint, savepoint or sink marks). */
  restore?: Record<string, Record<number, SplitPosition>>;
  /** Called between batches at a record boundary; lets the checkpoint system snapshot the sources
   * and acknowledge. */
  atBoundary?: (snapshot: (options: { flush: boolean }) => Promise<BoundarySnapshot>) => Promise<void>;
  batchSize?: number;
  /** Opens the secrets sealed in stored plugin options. */
  secrets: SecretBox;
  /** Named connections and jobgate's own database, for the plugins that connect out. */
  connections: ConnectionAccess;
}

/** What a checkpoint records at a record boundary. */
export interface BoundarySnapshot {
  /** Each source's split positions: the sinks hold every row before them and none after (once
   * `durable` resolved true). */
  sources: Record<string, Record<number, SplitPosition>>;
  /** Resolves true once that holds; false if a sink commit it waits for failed (the subtask then
   * fails on its next write). */
  durable: Promise<boolean>;
}

interface Counters {
  in: number;
  out: number;
  bytesOut: number;
}

type Stage =
  | {
      kind: 'transform';
      name: string;
      vertexId: string;
      fn: (rows: Row[]) => Row[];
      next: Stage[];
      counters: Counters;
    }
  | {
      kind: 'sink';
      name: string;
      vertexId: string;
      writer: SinkWriter;
      exactlyOnce: boolean;
      counters: Counters;
    };

interface Chain {
  source: { name: string; vertexId: string; reader: SourceReader; counters: Counters; done: boolean };
  next: Stage[];
  sinks: Extract<Stage, { kind: 'sink' }>[];
}

const IDLE_WAIT_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes a batch would take as JSON, estimated from its first row (cheap at millions of rows/s). */
function estimateBytes(rows: Row[]): number {
  return rows.length === 0 ? 0 : rows.length * JSON.stringify(rows[0]).length;
}

/** Rows to read next: the batch size, or less when a sink's commit is due sooner (so the commit
 * ends where the source's positions are known, with exactly the sink's batch size). */
function readSize(chain: Chain, batchSize: number): number {
  let size = batchSize;
  for (const sink of chain.sinks) {
    const room = sink.writer.rowsUntilCommit?.();
    if (room !== undefined && room >= 1 && room < size) size = room;
  }
  return size;
}

export class PipelineRunner {
  readonly chains: Chain[] = [];
  private readonly counters = new Map<string, Counters>();
  private failureVertex: string | null = null;
  /** What the plugins opened and must be closed, in opening order (drained by close()). */
  private readonly opened: { close(): Promise<void> }[] = [];

  constructor(
    private readonly ctx: AssignmentContext,
    private readonly controls: PipelineControls,
  ) {}

  /** Current subtask metric values of this assignment. */
  samples(): SubtaskMetricSample[] {
    const out: SubtaskMetricSample[] = [];
    const index = this.ctx.assignment.index;
    for (const [vertexId, c] of this.counters) {
      const base = { runId: this.ctx.run.id, vertexId, subtaskIndex: index };
      out.push(
        { ...base, name: 'numRecordsIn', value: c.in },
        { ...base, name: 'numRecordsOut', value: c.out },
        { ...base, name: 'numBytesOut', value: c.bytesOut },
      );
    }
    return out;
  }

  private counter(vertexId: string): Counters {
    let c = this.counters.get(vertexId);
    if (!c) this.counters.set(vertexId, (c = { in: 0, out: 0, bytesOut: 0 }));
    return c;
  }

  async open(): Promise<void> {
    const { ctx, controls } = this;
    const index = ctx.assignment.index;
    const parallelism = ctx.run.parallelism;
    const children = (vertexId: string) =>
      ctx.edges
        .filter((e) => e.fromVertexId === vertexId)
        .map((e) => ctx.vertices.find((v) => v.id === e.toVertexId)!);
    const pluginCtx = (vertex: { name: string }) => ({
      vertex: vertex.name,
      subtaskIndex: index,
      parallelism,
      commitKey: `${ctx.run.id}/${vertex.name}`,
      logger: createRunLogLogger(controls.logs, ctx.run.id, vertex.name, index),
      signal: controls.cancel,
      connections: controls.connections,
      files: controls.files,
    });
    // Sealed secrets are opened here, right before a plugin reads its options, and nowhere else.
    const options = (v: { config: Record<string, unknown> }) => revealSecrets(v.config, controls.secrets);
    const sinks: Extract<Stage, { kind: 'sink' }>[] = [];
    const build = async (vertexId: string): Promise<Stage[]> => {
      const stages: Stage[] = [];
      for (const v of children(vertexId)) {
        this.failureVertex = v.name;
        if (v.kind === 'TRANSFORM') {
          const fn = findTransform(v.plugin!)!.create(options(v), pluginCtx(v));
          stages.push({
            kind: 'transform',
            name: v.name,
            vertexId: v.id,
            fn,
            next: await build(v.id),
            counters: this.counter(v.id),
          });
        } else if (v.kind === 'SINK') {
          const plugin = findSink(v.plugin!)!;
          const writer = await plugin.open(options(v), pluginCtx(v));
          this.opened.push(writer);
          const stage = {
            kind: 'sink' as const,
            name: v.name,
            vertexId: v.id,
            writer,
            exactlyOnce: plugin.exactlyOnce,
            counters: this.counter(v.id),
          };
          stages.push(stage);
          sinks.push(stage);
        }
      }
      return stages;
    };
    for (const v of ctx.vertices.filter((x) => x.kind === 'SOURCE')) {
      // Sinks open first: an exactly-once sink knows how far its writes got, which beats any
      // checkpoint (it commits positions with its rows).
      const before = sinks.length;
      const next = await build(v.id);
      const chainSinks = sinks.slice(before);
      const saved = controls.restore?.[v.name];
      const restore = { ...(saved ?? {}) };
      if (
        chainSinks.length > 0 &&
        chainSinks.every((sink) => sink.exactlyOnce && sink.writer.committedPositions)
      ) {
        for (const sink of chainSinks) Object.assign(restore, await sink.writer.committedPositions!());
      }
      this.failureVertex = v.name;
      const plugin = findSource(v.plugin!)!;
      const config = options(v);
      const reader = await plugin.open(config, {
        ...pluginCtx(v),
        splitCount: await sourceSplitCount(plugin, v.name, config, parallelism, saved, {
          files: controls.files,
          signal: controls.cancel,
        }),
        restore: Object.keys(restore).length ? restore : undefined,
        bounded: ctx.version.mode === 'BATCH',
      });
      this.opened.unshift(reader);
      this.chains.push({
        source: { name: v.name, vertexId: v.id, reader, counters: this.counter(v.id), done: false },
        next,
        sinks: chainSinks,
      });
    }
    this.failureVertex = null;
  }

  private async push(stages: Stage[], rows: Row[], positions: Record<number, SplitPosition>): Promise<void> {
    for (const stage of stages) {
      this.failureVertex = stage.name;
      stage.counters.in += rows.length;
      if (stage.kind === 'transform') {
        const out = stage.fn(rows);
        stage.counters.out += out.length;
        if (out.length) await this.push(stage.next, out, positions);
      } else {
        await stage.writer.write(rows, positions);
        stage.counters.out += rows.length;
        stage.counters.bytesOut += estimateBytes(rows);
      }
    }
  }

  /** Flushes every sink with its chain's current positions (a record boundary). */
  async flushAll(): Promise<void> {
    for (const chain of this.chains) {
      const positions = chain.source.reader.positions();
      for (const sink of chain.sinks) {
        this.failureVertex = sink.name;
        await sink.writer.flush(positions);
      }
    }
  }

  /** The sources' positions for a checkpoint. `flush`: the sinks first write what they buffer and the
   * positions are the readers' own (a stop-with-savepoint: nothing is read after it). Otherwise a
   * chain whose one sink is exactly-once and has a commit point takes that commit's positions and
   * waits for it behind the pipeline: flushing a partial batch at every barrier stalled both
   * subtasks of a run at once for a commit round trip and sent an extra odd-sized statement. */
  snapshot = async ({ flush }: { flush: boolean }): Promise<BoundarySnapshot> => {
    const sources: Record<string, Record<number, SplitPosition>> = {};
    const waits: Promise<boolean>[] = [];
    for (const chain of this.chains) {
      const only = chain.sinks.length === 1 ? chain.sinks[0]! : undefined;
      const point =
        !flush && only?.exactlyOnce ? only.writer.commitPoint?.(chain.source.reader.positions()) : undefined;
      if (point) {
        sources[chain.source.name] = point.positions;
        waits.push(point.durable);
        continue;
      }
      const positions = chain.source.reader.positions();
      for (const sink of chain.sinks) {
        this.failureVertex = sink.name;
        await sink.writer.flush(positions);
      }
      sources[chain.source.name] = positions;
    }
    return { sources, durable: Promise.all(waits).then((done) => done.every(Boolean)) };
  };

  async run(): Promise<AssignmentOutcome> {
    const { controls } = this;
    const batchSize = controls.batchSize ?? 1024;
    const kill = () => void this.close();
    controls.kill?.addEventListener('abort', kill, { once: true });
    try {
      await this.open();
      while (!controls.cancel.aborted && !controls.stop.aborted) {
        let idle = true;
        for (const chain of this.chains) {
          if (chain.source.done) continue;
          this.failureVertex = chain.source.name;
          const result = await chain.source.reader.read(readSize(chain, batchSize));
          if (result.kind === 'end') {
            chain.source.done = true;
            continue;
          }
          if (result.kind === 'idle') continue;
          idle = false;
          chain.source.counters.out += result.rows.length;
          await this.push(chain.next, result.rows, chain.source.reader.positions());
        }
        if (this.chains.every((c) => c.source.done)) break;
        if (controls.atBoundary) await controls.atBoundary(this.snapshot);
        if (idle) await sleep(IDLE_WAIT_MS);
      }
      if (controls.cancel.aborted) return { status: SubtaskStatus.CANCELED };
      await this.flushAll();
      if (!controls.stop.aborted) {
        for (const chain of this.chains)
          for (const sink of chain.sinks) {
            this.failureVertex = sink.name;
            await sink.writer.finish?.();
          }
      }
      if (controls.atBoundary) await controls.atBoundary(this.snapshot);
      return { status: SubtaskStatus.FINISHED };
    } catch (err) {
      if (controls.cancel.aborted) return { status: SubtaskStatus.CANCELED };
      const error = coerceError(err);
      return {
        status: SubtaskStatus.FAILED,
        failure: {
          message: error.message,
          stack: error.stack,
          vertex: this.failureVertex,
          subtaskIndex: this.ctx.assignment.index,
        },
      };
    } finally {
      controls.kill?.removeEventListener('abort', kill);
      await this.close();
    }
  }

  /** Closes what is open, sources first; safe to call again (a kill, then the run's own end). */
  private async close(): Promise<void> {
    for (const resource of this.opened.splice(0)) await resource.close().catch(() => {});
  }
}
