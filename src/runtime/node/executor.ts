// A node's executor: claims the assignments placed on it, runs them, watches for stop and cancel
// requests, and reports metrics. LISTEN/NOTIFY wakes it; the poll is the guarantee.
//
// A cancel is bounded: the attempt gets `cancelGraceMs` to end after its cancel signal fires; past
// that it is abandoned (settled CANCELED, its slot freed, its plugins' resources closed behind it),
// because a plugin waiting on a silent server may never notice the signal. A graceful stop (STOP,
// DRAIN, a savepoint) is not bounded this way: draining may rightly take long, and a cancel hurries it.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { assignments } from '../../db/schema/index.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { ConnectionAccess } from '../plugins/types.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { settleAssignment, type AssignmentOutcome } from '../runs/settle.ts';
import { nodeChannel } from '../channels.ts';
import { claimAssignments } from '../sql/claim-assignments.ts';
import { writeMetrics, type SubtaskMetricSample } from '../sql/write-metrics.ts';
import { loadAssignmentContext } from './assignment-context.ts';
import { markAssignmentRunning } from './mark-running.ts';
import { runCommandAssignment, runStepsAssignment } from './run-command-assignment.ts';
import { PipelineRunner } from './run-pipeline.ts';
import {
  ackCheckpoint,
  checkpointPositions,
  pendingCheckpoints,
  restoreCheckpointFor,
} from '../checkpoints/ack-checkpoint.ts';
import { waitForCheckpoint } from '../checkpoints/savepoints.ts';
import type { FileGuard } from '../files/file-guard.ts';

export interface ExecutorOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  node: { id: string; name: string; slots: number };
  /** Environment for shell commands (never the process's own). */
  commandEnv: Record<string, string>;
  commandsEnabled: boolean;
  pollMs?: number;
  metricsIntervalMs?: number;
  /** Opens sealed plugin options; resolves named connections (see RuntimeOptions.secrets). */
  secrets: SecretBox;
  connections: ConnectionAccess;
  /** The node's file roots, for plugins that take a path. */
  files?: FileGuard;
  /** How long a canceled attempt may take to end before it is abandoned (default 5 s). */
  cancelGraceMs?: number;
}

export const DEFAULT_CANCEL_GRACE_MS = 5_000;

interface Running {
  assignmentId: string;
  runId: string;
  attempt: number;
  cancel: AbortController;
  stop: AbortController;
  /** Fired when the attempt is abandoned: whatever it still holds is closed. */
  kill: AbortController;
  done: Promise<void>;
  /** The run or assignment asked for the cancel (as opposed to this node shutting down). */
  cancelRequested?: boolean;
  samples?: () => SubtaskMetricSample[];
  previous?: Map<string, number>;
  /** Checkpoints this assignment still has to snapshot and acknowledge, oldest first. */
  pending: { id: string; stopAfter: boolean }[];
  /** Acknowledgements on their way, in checkpoint order. */
  acks: Promise<void>;
  seen: Set<string>;
}

export interface Executor {
  readonly running: number;
  wake(): void;
  /** Stops taking work; cancels what runs and waits for it to settle. */
  stop(): Promise<void>;
}

export async function startExecutor(options: ExecutorOptions): Promise<Executor> {
  const { database, logger, logs, node } = options;
  const log = logger.child({ component: 'executor', nodeId: node.id });
  const running = new Map<string, Running>();
  let stopping = false;
  let ticking: Promise<void> | null = null;

  const graceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;

  /** Resolves `abandoned` once the attempt has had its grace after the cancel signal fired. */
  const cancelGraceOver = (signal: AbortSignal) => {
    let timer: NodeJS.Timeout | undefined;
    let startGrace = () => {};
    const over = new Promise<'abandoned'>((resolve) => {
      startGrace = () => {
        timer = setTimeout(() => resolve('abandoned'), graceMs);
      };
      if (signal.aborted) startGrace();
      else signal.addEventListener('abort', startGrace, { once: true });
    });
    return {
      over,
      clear: () => {
        signal.removeEventListener('abort', startGrace);
        clearTimeout(timer);
      },
    };
  };

  const execute = async (assignmentId: string, entry: Running) => {
    const grace = cancelGraceOver(entry.cancel.signal);
    const attempt = runAttempt(assignmentId, entry);
    let result = await Promise.race([attempt, grace.over]);
    grace.clear();
    if (result === undefined) return;
    if (result === 'abandoned') {
      // It outlived its grace: the slot and the run must not wait for it any longer. Its own
      // outcome, whenever it comes, is dropped (this attempt is settled below).
      entry.kill.abort();
      void attempt.catch(() => {});
      log.warn({ assignmentId, graceMs }, 'canceled assignment did not end in time; abandoned');
      logs.append(
        entry.runId,
        'WARN',
        `an assignment did not end within ${graceMs} ms of its cancel; abandoned on ${node.name} (its connections and files are being closed)`,
      );
      result = { status: 'CANCELED' };
    }
    let outcome: AssignmentOutcome = result;
    if (stopping && outcome.status === 'CANCELED' && !entry.cancelRequested) {
      // Killed because this node is shutting down, not because anyone asked: a failure, so the
      // run's restart strategy can run it elsewhere.
      outcome = { status: 'FAILED', failure: { message: `node ${node.name} shut down while running` } };
    }
    await logs.flush();
    await settleAssignment(database, assignmentId, { ...outcome, nodeId: node.id, attempt: entry.attempt });
  };

  /** Runs one attempt to its outcome (undefined: the assignment is gone). Never rejects. */
  const runAttempt = async (assignmentId: string, entry: Running): Promise<AssignmentOutcome | undefined> => {
    let outcome: AssignmentOutcome;
    try {
      const ctx = await loadAssignmentContext(database, assignmentId);
      if (!ctx) return undefined;
      await markAssignmentRunning(database, assignmentId, ctx.run.id);
      const commandOpts = {
        database,
        logger: log,
        logs,
        baseEnv: options.commandEnv,
        signal: entry.cancel.signal,
      };
      // A graceful stop of a shell command is a SIGTERM, same as a cancel.
      entry.stop.signal.addEventListener('abort', () => entry.cancel.abort(), { once: true });
      if (ctx.version.kind !== 'PIPELINE' && !options.commandsEnabled) {
        outcome = {
          status: 'FAILED',
          failure: { message: 'shell commands are disabled on this node (--no-commands)' },
        };
      } else if (ctx.version.kind === 'COMMAND') {
        outcome = await runCommandAssignment(ctx, commandOpts);
      } else if (ctx.version.kind === 'STEPS') {
        outcome = await runStepsAssignment(ctx, commandOpts);
      } else {
        const checkpointId = await restoreCheckpointFor(database, ctx.run.id, ctx.run.restoredFromId);
        const restore = checkpointId ? await checkpointPositions(database, checkpointId) : undefined;
        const source = ctx.vertices.find((v) => v.kind === 'SOURCE');
        const ackAs = ctx.subtasks.find((st) => st.vertexId === source?.id) ?? ctx.subtasks[0]!;
        const runner = new PipelineRunner(ctx, {
          logger: log,
          logs,
          cancel: entry.cancel.signal,
          stop: entry.stop.signal,
          kill: entry.kill.signal,
          files: options.files,
          restore,
          secrets: options.secrets,
          connections: options.connections,
          atBoundary: async (snapshot) => {
            while (entry.pending.length > 0) {
              const checkpoint = entry.pending.shift()!;
              const sources = await snapshot();
              // The state is captured at this boundary; its acknowledgement goes out behind the
              // pipeline, which reads on (checkpoints every 1 s cost 9% of throughput when it waited).
              entry.acks = entry.acks
                .then(() =>
                  ackCheckpoint(database, checkpoint.id, ackAs.id, { index: ctx.assignment.index, sources }),
                )
                .then(
                  () => {},
                  (err: unknown) =>
                    log.warn({ err: coerceError(err), checkpoint: checkpoint.id }, 'checkpoint ack failed'),
                );
              if (!checkpoint.stopAfter) continue;
              await entry.acks;
              // Stop-with-savepoint: read nothing more until the savepoint settles; stop if it
              // completed, carry on if it failed.
              let settled = await waitForCheckpoint(database, checkpoint.id, 0);
              while (settled.status === 'IN_PROGRESS' && !entry.cancel.signal.aborted) {
                settled = await waitForCheckpoint(database, checkpoint.id, 1_000);
              }
              if (settled.status === 'COMPLETED') {
                entry.cancelRequested = true;
                entry.stop.abort();
                return;
              }
            }
          },
        });
        if (restore) {
          logs.append(ctx.run.id, 'INFO', `${ctx.assignment.name} restores from checkpoint ${checkpointId}`, {
            subtaskIndex: ctx.assignment.index,
          });
        }
        entry.samples = () => runner.samples();
        logs.append(ctx.run.id, 'INFO', `${ctx.assignment.name} running on ${node.name}`, {
          subtaskIndex: ctx.assignment.index,
        });
        outcome = await runner.run();
        await entry.acks;
        await reportMetrics([entry]);
      }
    } catch (err) {
      const error = coerceError(err);
      log.error({ err: error, assignmentId }, 'assignment crashed');
      outcome = { status: 'FAILED', failure: { message: error.message, stack: error.stack } };
    }
    return outcome;
  };

  /** Subtask metrics of running pipelines, with per-second rates from the previous report. */
  const reportMetrics = async (entries: Running[]) => {
    const samples: SubtaskMetricSample[] = [];
    const seconds = (options.metricsIntervalMs ?? 1000) / 1000;
    for (const entry of entries) {
      const current = entry.samples?.() ?? [];
      const previous = entry.previous ?? new Map<string, number>();
      entry.previous = new Map();
      for (const s of current) {
        samples.push(s);
        const key = `${s.vertexId}:${s.name}`;
        entry.previous.set(key, s.value);
        if (s.name === 'numRecordsIn' || s.name === 'numRecordsOut') {
          samples.push({
            ...s,
            name: `${s.name}PerSecond`,
            value: Math.max(0, (s.value - (previous.get(key) ?? 0)) / seconds),
          });
        }
      }
    }
    if (samples.length)
      await writeMetrics(database, samples).catch((err: unknown) =>
        log.warn({ err: coerceError(err) }, 'metrics write failed'),
      );
  };

  const watch = async () => {
    if (running.size === 0) return;
    const rows = await database.execute<{
      id: string;
      status: string;
      stop_requested: string | null;
      node_id: string | null;
      attempt: number;
    }>(sql`
      select a.id, a.status, r.stop_requested, a.node_id, a.attempt from assignments a join runs r on r.id = a.run_id
      where a.id in (select jsonb_array_elements_text(${JSON.stringify([...running.keys()])}::jsonb)::uuid)`);
    for (const row of rows) {
      const entry = running.get(row.id);
      if (!entry) continue;
      const fenced = row.node_id !== node.id || Number(row.attempt) !== entry.attempt;
      if (fenced || row.status === 'CANCELING' || row.stop_requested === 'CANCEL') {
        // Fenced: this node was declared lost and the attempt now belongs to another one.
        if (fenced)
          log.warn({ assignmentId: row.id }, 'assignment taken over by another attempt; stopping it here');
        entry.cancelRequested = true;
        entry.cancel.abort();
      } else if (row.stop_requested) {
        entry.cancelRequested = true;
        entry.stop.abort();
      }
    }
  };

  /** Queues the checkpoints in progress for the pipelines this node runs. */
  const collectCheckpoints = async () => {
    const pipelines = [...running.values()].filter((e) => e.samples);
    const pending = await pendingCheckpoints(database, [...new Set(pipelines.map((e) => e.runId))]);
    for (const checkpoint of pending) {
      for (const entry of pipelines) {
        if (entry.runId !== checkpoint.runId || entry.seen.has(checkpoint.id)) continue;
        entry.seen.add(checkpoint.id);
        entry.pending.push({ id: checkpoint.id, stopAfter: checkpoint.stopAfter });
      }
    }
  };

  const claim = async () => {
    if (stopping) return;
    const free = node.slots - running.size;
    const claimed = await claimAssignments(database, node.id, free);
    for (const a of claimed) {
      const entry: Running = {
        assignmentId: a.id,
        runId: a.run_id,
        attempt: Number(a.attempt),
        cancel: new AbortController(),
        stop: new AbortController(),
        kill: new AbortController(),
        done: Promise.resolve(),
        pending: [],
        acks: Promise.resolve(),
        seen: new Set(),
      };
      running.set(a.id, entry);
      entry.done = execute(a.id, entry).finally(() => {
        running.delete(a.id);
        void tick();
      });
    }
  };

  const tick = (): Promise<void> => {
    if (ticking) return ticking;
    ticking = (async () => {
      try {
        await watch();
        await collectCheckpoints();
        await claim();
      } catch (err) {
        if (!stopping) log.warn({ err: coerceError(err) }, 'executor tick failed');
      }
    })().finally(() => {
      ticking = null;
    });
    return ticking;
  };

  const timer = setInterval(() => void tick(), options.pollMs ?? 200);
  timer.unref();
  const metricsTimer = setInterval(
    () => void reportMetrics([...running.values()]),
    options.metricsIntervalMs ?? 1000,
  );
  metricsTimer.unref();
  // Only this node's channel: it hears of work placed on it, not of every run started anywhere.
  const unlisten = await database.listen(nodeChannel(node.id), () => void tick());
  void tick();

  return {
    get running() {
      return running.size;
    },
    wake: () => void tick(),
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      clearInterval(metricsTimer);
      await unlisten().catch(() => {});
      await ticking;
      for (const entry of running.values()) entry.cancel.abort();
      await Promise.all([...running.values()].map((e) => e.done));
      // Anything claimed but not started is handed back for placement elsewhere.
      await database.db
        .update(assignments)
        .set({ status: 'CREATED', nodeId: null })
        .where(and(eq(assignments.nodeId, node.id), inArray(assignments.status, ['SCHEDULED'])))
        .catch(() => {});
    },
  };
}
