// A gateway plus a runtime (coordinator and, optionally, an in-process node) over a test database.
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { runs, subtasks } from '../../src/db/schema/index.ts';
import { createFileGuard, safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { createTestApp, silentLogger, type TestApp } from './app.ts';
import { testSecrets } from './secrets.ts';
import { until } from './wait.ts';

export interface TestRuntime extends TestApp {
  runtime: Runtime;
  /** Waits until the run reaches one of `statuses`; fails with the run's history otherwise. */
  waitForRun(runId: string, statuses: string[], timeoutMs?: number): Promise<typeof runs.$inferSelect>;
  /** Waits until the run is RUNNING with every subtask RUNNING: a run is RUNNING from its first
   * subtask on, and a savepoint needs them all (Flink refuses one too while tasks still deploy). */
  waitForAllRunning(runId: string, timeoutMs?: number): Promise<void>;
  start(job: string): Promise<string>;
  createJob(input: Record<string, unknown>): Promise<void>;
}

export async function createTestRuntime(
  options: {
    node?: boolean;
    slots?: number;
    /** The in-process node's tags (default none). */
    nodeTags?: Record<string, string>;
    heartbeatTimeoutMs?: number;
    checkpointTimeoutMs?: number;
    /** Directories LocalFile jobs may use (default none: every path is refused). */
    fileRoots?: string[];
    cancelGraceMs?: number;
    /** Sees every SQL statement the test database runs. */
    onStatement?: (q: string) => void;
  } = {},
): Promise<TestRuntime> {
  const fileRoots = options.fileRoots ?? [];
  const app = await createTestApp({
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    files: await createFileGuard(fileRoots),
    onStatement: options.onStatement,
  });
  const runtime = await startRuntime({
    database: app.database,
    logger: silentLogger,
    cluster: 'default',
    node:
      options.node === false
        ? undefined
        : { slots: options.slots ?? 8, tags: options.nodeTags ?? {}, name: 'test-node' },
    coordinator: true,
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 3_000,
    commandsEnabled: true,
    commandEnv: safeBaseEnv(process.env),
    secrets: testSecrets,
    pollMs: 50,
    checkpointTimeoutMs: options.checkpointTimeoutMs,
    fileRoots,
    cancelGraceMs: options.cancelGraceMs,
  });
  const waitForRun = (runId: string, statuses: string[], timeoutMs = 30_000) =>
    until(
      `run ${runId} to reach ${statuses.join('/')}`,
      async () => {
        const [run] = await app.database.db.select().from(runs).where(eq(runs.id, runId));
        return run && statuses.includes(run.status) ? run : undefined;
      },
      {
        timeoutMs,
        explain: async () => {
          const res = await app.graphql(
            `query($id: ID!) { run(id: $id) { status statusHistory { from to cause } exceptions { message } } }`,
            { id: runId },
          );
          return JSON.stringify(res.data);
        },
      },
    );
  const waitForAllRunning = async (runId: string, timeoutMs = 30_000) => {
    await waitForRun(runId, ['RUNNING'], timeoutMs);
    await until(
      `every subtask of run ${runId} to be RUNNING`,
      async () => {
        const rows = await app.database.db
          .select({ status: subtasks.status })
          .from(subtasks)
          .where(eq(subtasks.runId, runId));
        return rows.length > 0 && rows.every((row) => row.status === 'RUNNING') ? true : undefined;
      },
      { timeoutMs },
    );
  };
  return {
    ...app,
    runtime,
    waitForRun,
    waitForAllRunning,
    async start(job) {
      const res = await app.graphql({ contract: 'StartJob' }, { job });
      expect(res.errors).toBeUndefined();
      return res.data!.startJob.run.id as string;
    },
    async createJob(input) {
      const res = await app.graphql({ contract: 'CreateJob' }, { input });
      expect(res.errors).toBeUndefined();
    },
    close: async () => {
      await runtime.stop();
      await app.close();
    },
  };
}
