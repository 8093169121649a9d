// A canceled attempt whose plugin ignores its cancel signal is abandoned after the grace period: the
// run ends CANCELED, the slot is free for the next run, and the log says why. The plugin here is the
// stand-in for any connector that hangs in a call it cannot interrupt.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sourcePlugins } from '../../src/runtime/plugins/index.ts';
import type { SourcePlugin } from '../../src/runtime/plugins/types.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

let closed = 0;
const deafSource: SourcePlugin = {
  name: 'DeafSource',
  validate: () => {},
  splitCount: () => 1,
  open: async () => ({
    splits: [0],
    // Never resolves and never looks at the signal.
    read: () => new Promise(() => {}),
    positions: () => ({}),
    close: async () => {
      closed++;
    },
  }),
};

let t: TestRuntime;
beforeAll(async () => {
  (sourcePlugins as Map<string, SourcePlugin>).set('deafsource', deafSource);
  t = await createTestRuntime({ slots: 1, cancelGraceMs: 500 });
});
afterAll(async () => {
  await t.close();
  (sourcePlugins as Map<string, SourcePlugin>).delete('deafsource');
});

it('abandons a canceled attempt that does not end, frees its slot and says so', async () => {
  await t.createJob({
    name: 'deaf',
    pipeline: { source: [{ plugin_name: 'DeafSource' }], sink: [{ plugin_name: 'Blackhole' }] },
  });
  await t.createJob({
    name: 'after-deaf',
    pipeline: { source: [{ plugin_name: 'FakeSource', 'row.num': 3 }], sink: [{ plugin_name: 'Blackhole' }] },
  });
  const deaf = await t.start('deaf');
  await t.waitForRun(deaf, ['RUNNING']);
  // One slot: the next run waits behind the deaf one (the control for "the slot is free again").
  const next = await t.start('after-deaf');
  const cancel = await t.graphql(`mutation($id: ID!) { cancelJob(input: { runId: $id }) { run { id } } }`, {
    id: deaf,
  });
  expect(cancel.errors).toBeUndefined();
  expect((await t.waitForRun(deaf, ['CANCELED', 'FAILED', 'FINISHED'])).status).toBe('CANCELED');
  expect((await t.waitForRun(next, ['FINISHED', 'FAILED', 'CANCELED'])).status).toBe('FINISHED');
  const lines = await t.graphql(
    `query($id: ID!) { logLines(runId: $id, first: 100) { nodes { message } } }`,
    {
      id: deaf,
    },
  );
  expect(JSON.stringify(lines.data)).toMatch(/did not end within 500 ms of its cancel; abandoned/);
  expect(closed).toBe(1); // what it held is closed behind it
});
