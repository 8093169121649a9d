// A coordinator started paused (how `jobgate serve` starts it, so that ready does not wait for the
// first leader tick) neither leads nor takes a term until it is resumed, and leads once resumed.
import { eq } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { clusters } from '../../src/db/schema/index.ts';
import { safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { silentLogger } from '../support/app.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase } from '../support/db.ts';
import { testSecrets } from '../support/secrets.ts';

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
});

/** A runtime with a coordinator only (no node) on `database`, closed after the tests. */
async function startCoordinator(database: Database, cluster: string, paused: boolean): Promise<Runtime> {
  const runtime = await startRuntime({
    database,
    logger: silentLogger,
    cluster,
    coordinator: true,
    coordinatorPaused: paused,
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 3_000,
    commandsEnabled: true,
    commandEnv: safeBaseEnv(process.env),
    secrets: testSecrets,
    pollMs: 20,
  });
  opened.push({ close: () => runtime.stop() });
  return runtime;
}

it('a paused coordinator takes no term until resumed, then leads', async () => {
  const test = await createTestDatabase();
  opened.push(test);
  const { database } = test;
  const start = (cluster: string, paused: boolean) => startCoordinator(database, cluster, paused);
  const term = async (cluster: string) =>
    (await database.db.select().from(clusters).where(eq(clusters.name, cluster)))[0]?.leaderTerm;

  const paused = await start('paused', true);
  const control = await start('control', false);
  // The control: the same start, not paused, leads before startRuntime returns.
  expect(control.coordinator!.isLeader()).toBe(true);
  expect(await term('control')).toBe(1);
  // An explicit tick (what a wake-up or the timer runs) of the paused one does nothing.
  await paused.coordinator!.tick();
  expect(paused.coordinator!.isLeader()).toBe(false);
  expect(await term('paused')).toBe(0);

  await paused.coordinator!.resume();
  expect(paused.coordinator!.isLeader()).toBe(true);
  expect(await term('paused')).toBe(1);
});

it('lets the event loop turn during a tick, between its duties', async () => {
  const test = await createTestDatabase();
  opened.push(test);
  const runtime = await startCoordinator(test.database, 'turns', true);
  // Counted while the first tick (the coldest) runs: on PGlite, whose statements answer through
  // promises alone, a tick that never yields would let none of these run before it ended.
  let turns = 0;
  let ticking = true;
  const turn = () => {
    turns++;
    if (ticking) setImmediate(turn);
  };
  setImmediate(turn);
  await runtime.coordinator!.resume();
  ticking = false;
  expect(runtime.coordinator!.isLeader()).toBe(true);
  expect(turns).toBeGreaterThanOrEqual(4);
});
