/**
 * The plugin contract of the pipeline executor. A pipeline subtask runs one chain
 * source → transforms → sink in one place, for the splits assigned to it (no shuffle), the way
 * SeaTunnel's Zeta engine runs parallel pipelines.
 *
 * Rows move in batches (arrays) so the per-row cost stays small: the executor asks the source for a
 * batch, passes it through each transform, and hands it to the sink.
 */
import type { Logger } from '../../lib/logger.ts';
import type { DatabaseIdentity } from '../connections/database-identity.ts';
import type { ResolvedConnection } from '../connections/save-connection.ts';
import type { FileGuard } from '../files/file-guard.ts';

export type Row = Record<string, unknown>;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where a split's reader is: enough to resume it right after the last row it emitted. */
export type SplitPosition = { [key: string]: Json };

export interface PluginContext {
  /** Name of the vertex (from plugin_output or generated), for logs and errors. */
  vertex: string;
  /** This subtask's index and the vertex's parallelism. */
  subtaskIndex: number;
  parallelism: number;
  /** A stable identity for exactly-once commit marks: the job lineage and the sink vertex. */
  commitKey: string;
  logger: Logger;
  /** Aborted on cancel; long waits must give up when it fires. */
  signal: AbortSignal;
  /** Named connections and jobgate's own database, for plugins that reach external systems. */
  connections?: ConnectionAccess;
  /** The node's file roots; a plugin that takes a path opens it only through this guard (without
   * one, every path is refused). */
  files?: FileGuard;
}

export interface ConnectionAccess {
  /** The named connection with its secret opened; rejects when there is none. */
  resolve(name: string): Promise<ResolvedConnection>;
  /** jobgate's own database (when it runs on PostgreSQL), which no plugin may reach. */
  ownDatabase: DatabaseIdentity | null;
}

/** Where a plugin's option names a file or directory, for the file-root check at definition time. */
export interface PluginPathOption {
  /** The option's path within the block, e.g. `path`. */
  option: string;
  path: string;
}

/** What a source read returns: a batch of rows, or that nothing is there now, or that it is done. */
export type ReadResult =
  | { kind: 'rows'; rows: Row[] }
  | { kind: 'idle' } // streaming: nothing now, ask again later
  | { kind: 'end' }; // bounded and exhausted

export interface SourceReader {
  /** Split ids this reader owns (split % parallelism == subtaskIndex, SeaTunnel-style). */
  readonly splits: readonly number[];
  /** Reads up to `max` rows from its splits. */
  read(max: number): Promise<ReadResult>;
  /** Positions of every owned split at the current record boundary (for checkpoints). */
  positions(): Record<number, SplitPosition>;
  close(): Promise<void>;
}

export interface SourcePlugin {
  readonly name: string;
  /** Options that pick an external target or carry its credentials: only admins may set them in a
   * job; everyone else names a connection. */
  readonly adminOnlyOptions?: readonly string[];
  /** Validates the plugin's options; throws a PluginConfigError naming the option's path. */
  validate(options: Record<string, unknown>): void;
  /** How many splits the source divides its input into (default: the parallelism). */
  splitCount(
    options: Record<string, unknown>,
    parallelism: number,
    ctx?: { files?: FileGuard; signal?: AbortSignal },
  ): number | Promise<number>;
  /** The files or directories its options name; each must lie inside the file roots. */
  paths?(options: Record<string, unknown>): PluginPathOption[];
  open(
    options: Record<string, unknown>,
    ctx: PluginContext & {
      splitCount: number;
      /** Positions to resume from (from a checkpoint, savepoint or sink commit mark), by split. */
      restore?: Record<number, SplitPosition>;
      bounded: boolean;
    },
  ): Promise<SourceReader>;
}

export interface TransformPlugin {
  readonly name: string;
  validate(options: Record<string, unknown>): void;
  /** Returns a function that maps a batch to a batch (may drop, add or reshape rows). */
  create(options: Record<string, unknown>, ctx: PluginContext): (rows: Row[]) => Row[];
}

export interface SinkCommitPoint {
  positions: Record<number, SplitPosition>;
  /** Resolves true once the commit is durable, false if it failed. */
  durable: Promise<boolean>;
}

export interface SinkWriter {
  /** Writes a batch. `positions` are the source positions right after the batch: an exactly-once
   * sink stores them atomically with the rows. It may return before the rows are durable (a commit
   * in flight); flush() is what waits. */
  write(rows: Row[], positions: Record<number, SplitPosition>): Promise<void>;
  /** How many rows the sink takes before its next commit. The executor reads no more than this, so
   * a commit ends at a record boundary of the source (where positions are known) with exactly the
   * sink's batch size (unless a transform adds rows). */
  rowsUntilCommit?(): number;
  /** Makes everything written so far durable (called at the end, at a stop-with-savepoint's
   * barrier, and at checkpoint barriers of sinks without commitPoint). */
  flush(positions: Record<number, SplitPosition>): Promise<void>;
  /** For a sink that stores positions with its rows, at a periodic checkpoint's barrier: the
   * positions of its newest commit sent (every row before them is in it, none after), and whether
   * that commit became durable. The checkpoint records these instead of waiting for a flush, so the
   * pipeline does not stall at the barrier. If nothing was sent since the previous barrier and no
   * commit is in flight, the buffer is sent now (`positions` are the source's, right after it), so
   * a slow stream's rows still land within about two checkpoint intervals. Undefined: the sink
   * cannot say (a commit failed); the checkpoint then flushes. */
  commitPoint?(positions: Record<number, SplitPosition>): SinkCommitPoint | undefined;
  /** Commit marks the sink already holds for this commitKey, for restore (exactly-once sinks). */
  committedPositions?(): Promise<Record<number, SplitPosition>>;
  /** Called once the input is exhausted and flushed; an Assert sink checks its rules here. */
  finish?(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkPlugin {
  readonly name: string;
  /** As SourcePlugin.adminOnlyOptions. */
  readonly adminOnlyOptions?: readonly string[];
  /** true: each row lands exactly once across restores; false: at-least-once. */
  readonly exactlyOnce: boolean;
  validate(options: Record<string, unknown>): void;
  /** The files or directories its options name; each must lie inside the file roots. */
  paths?(options: Record<string, unknown>): PluginPathOption[];
  open(options: Record<string, unknown>, ctx: PluginContext): Promise<SinkWriter>;
}

/** A plugin option that is missing or wrong. `path` is relative to the plugin's config block,
 * e.g. `row.num`; the definition validator prefixes `source[0].`. */
export class PluginConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'PluginConfigError';
    this.path = path;
  }
}

/** A row that breaks a rule at run time (Assert sink, type conversion); fails the subtask. */
export class PluginRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginRuntimeError';
  }
}
