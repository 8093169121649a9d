// The realtime feed over the events table, on a real database: cursors, NOTIFY wake-ups, the poll
// that catches a lost NOTIFY, one read shared by many readers, and waits that end or time out.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { events } from '../../src/db/schema/index.ts';
import {
  createEventFeed,
  createJob,
  emitEvent,
  ensureCluster,
  requestStop,
  startJob,
  waitForRunEnd,
  WaitTimeoutError,
  type EventFeed,
  type EventFilter,
  type FeedEvent,
} from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { testSecrets } from '../support/secrets.ts';

const RUN_A = 'a'.repeat(32);
const RUN_B = 'b'.repeat(32);
/** Long enough that only a NOTIFY can wake the feed within a test. */
const NO_POLL = 3_600_000;

let testDb: TestDatabase;
let eventReads = 0;
const feeds: EventFeed[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase({
    onStatement: (query) => {
      if (/from "events"/i.test(query)) eventReads++;
    },
  });
});
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((feed) => feed.close()));
});
afterAll(async () => {
  await testDb.close();
});

function feedWith(pollMs: number): EventFeed {
  const feed = createEventFeed(testDb.database, { pollMs });
  feeds.push(feed);
  return feed;
}

async function emit(runId: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await emitEvent(testDb.database, { type: 'run:status', runId, payload: { i } });
}

async function head(feed: EventFeed): Promise<number> {
  let cursor = 0;
  for (;;) {
    const page = await feed.after(cursor);
    if (page.length === 0) return cursor;
    cursor = page.at(-1)!.id;
  }
}

/** Collects a subscription in the background until `stop` is called. */
function collect(feed: EventFeed, filter: EventFilter, fromCursor?: number) {
  const seen: FeedEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    for await (const event of feed.subscribe(filter, fromCursor, { signal: controller.signal }))
      seen.push(event);
  })();
  return { seen, stop: async () => (controller.abort(), await done) };
}

/** A wait whose truth is a flag in memory, counting how often it was checked. */
function flagWait(feed: EventFeed, filter: EventFilter, timeoutMs: number | undefined = 60_000) {
  const state = { flag: false, checks: 0 };
  const result = feed.waitFor(
    filter,
    async () => {
      state.checks++;
      return state.flag ? 'done' : undefined;
    },
    { timeoutMs, what: 'the flag' },
  );
  return { state, result };
}

describe('event feed', () => {
  it('reads the events after a cursor in order, once each, filtered', async () => {
    const feed = feedWith(NO_POLL);
    const start = await head(feed);
    await emit(RUN_A, 3);
    await emit(RUN_B, 2);
    const all = await feed.after(start);
    expect(all.map((e) => e.runId)).toEqual([RUN_A, RUN_A, RUN_A, RUN_B, RUN_B]);
    expect(all.map((e) => e.payload)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 0 }, { i: 1 }]);
    const ids = all.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect((await feed.after(ids[1]!)).map((e) => e.id)).toEqual(ids.slice(2));
    expect((await feed.after(start, { runId: RUN_B })).map((e) => e.id)).toEqual(ids.slice(3));
    expect(await feed.after(start, { types: ['node:lost'] })).toEqual([]);
    expect((await feed.after(start, {}, 2)).map((e) => e.id)).toEqual(ids.slice(0, 2));
  });

  it('a subscriber gets the history after its cursor, then live events, with no gap and no duplicate', async () => {
    const feed = feedWith(50);
    const start = await head(feed);
    await emit(RUN_A, 3);
    const sub = collect(feed, { runId: RUN_A }, start);
    await vi.waitFor(() => expect(sub.seen).toHaveLength(3), { timeout: 30_000 });
    await emit(RUN_B, 2);
    await emit(RUN_A, 3);
    await vi.waitFor(() => expect(sub.seen).toHaveLength(6), { timeout: 30_000 });
    await sub.stop();
    expect(sub.seen.map((e) => e.payload)).toEqual([0, 1, 2, 0, 1, 2].map((i) => ({ i })));
    const ids = sub.seen.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(6);
    expect(sub.seen.every((e) => e.runId === RUN_A)).toBe(true);
  });

  it('a NOTIFY wakes waiters and subscribers (the poll is too slow to have done it)', async () => {
    const feed = feedWith(NO_POLL);
    const wait = flagWait(feed, { runId: RUN_A });
    // Checked once: the wait is registered and the feed listens.
    await vi.waitFor(() => expect(wait.state.checks).toBe(1), { timeout: 30_000 });
    const cursor = await head(feed);
    const sub = collect(feed, { runId: RUN_A }, cursor);
    wait.state.flag = true;
    await emit(RUN_A);
    await expect(wait.result).resolves.toBe('done');
    // Without the NOTIFY's read the subscriber could not get past the feed's position.
    await vi.waitFor(() => expect(sub.seen).toHaveLength(1), { timeout: 30_000 });
    await sub.stop();
  });

  it('an event written with no NOTIFY is still seen, by the poll', async () => {
    const feed = feedWith(50);
    const wait = flagWait(feed, { runId: RUN_B });
    await vi.waitFor(() => expect(wait.state.checks).toBe(1), { timeout: 30_000 });
    const cursor = await head(feed);
    const sub = collect(feed, { runId: RUN_B }, cursor);
    wait.state.flag = true;
    await testDb.database.db
      .insert(events)
      .values({ type: 'run:status', runId: RUN_B, payload: { lost: true } });
    await expect(wait.result).resolves.toBe('done');
    await vi.waitFor(() => expect(sub.seen.map((e) => e.payload)).toEqual([{ lost: true }]), {
      timeout: 30_000,
    });
    await sub.stop();
  });

  it('a waiter whose event never shows up still sees its truth change, on a poll tick', async () => {
    // An event whose id fell behind the feed's head is never read; the waiter re-reads its truth on
    // every tick anyway. With no timeout, only a tick can end this wait (the test would time out).
    const feed = feedWith(50);
    const wait = flagWait(feed, { runId: RUN_B }, undefined);
    await vi.waitFor(() => expect(wait.state.checks).toBe(1), { timeout: 30_000 });
    wait.state.flag = true;
    await expect(wait.result).resolves.toBe('done');
  });

  it('many waiters and subscribers share one read per wake-up', async () => {
    const feed = feedWith(NO_POLL);
    const waits = Array.from({ length: 20 }, () => flagWait(feed, { runId: RUN_A }));
    await vi.waitFor(() => expect(waits.every((w) => w.state.checks === 1)).toBe(true), { timeout: 30_000 });
    const cursor = await head(feed);
    const subs = Array.from({ length: 10 }, () => collect(feed, { runId: RUN_A }, cursor));
    // Each subscriber has read its (empty) history and joined: one more event reaches them all.
    await emit(RUN_A);
    await vi.waitFor(() => expect(subs.every((s) => s.seen.length === 1)).toBe(true), { timeout: 30_000 });
    for (const w of waits) w.state.flag = true;

    eventReads = 0;
    await emit(RUN_A);
    await Promise.all(waits.map((w) => expect(w.result).resolves.toBe('done')));
    await vi.waitFor(() => expect(subs.every((s) => s.seen.length === 2)).toBe(true), { timeout: 30_000 });
    // One read of the events table for thirty readers (the emit's insert is no read).
    expect(eventReads).toBe(1);
    await Promise.all(subs.map((s) => s.stop()));
  });

  it('a wait times out with an error that says what it waited for', async () => {
    const feed = feedWith(50);
    const wait = flagWait(feed, { runId: RUN_A }, 200);
    await expect(wait.result).rejects.toThrow(WaitTimeoutError);
    await expect(wait.result).rejects.toThrow('timed out after 200 ms waiting for the flag');
    // Positive control: the same wait ends when its event comes.
    const ended = flagWait(feed, { runId: RUN_A });
    await vi.waitFor(() => expect(ended.state.checks).toBe(1), { timeout: 30_000 });
    ended.state.flag = true;
    await emit(RUN_A);
    await expect(ended.result).resolves.toBe('done');
  });

  it('a wait ends with its signal, and closing the feed ends waits and subscriptions', async () => {
    const feed = feedWith(50);
    const controller = new AbortController();
    const aborted = feed.waitFor({}, async () => undefined, { signal: controller.signal, what: 'nothing' });
    controller.abort(new Error('no longer needed'));
    await expect(aborted).rejects.toThrow('no longer needed');
    const waiting = flagWait(feed, {});
    const sub = collect(feed, {});
    await vi.waitFor(() => expect(waiting.state.checks).toBe(1), { timeout: 30_000 });
    const failed = expect(waiting.result).rejects.toThrow('the event feed closed');
    await feed.close();
    await failed;
    await sub.stop();
  });
});

describe('waiting for a run to end', () => {
  const actor = { name: 'test', role: 'admin' as const, commandsEnabled: true };

  beforeAll(async () => {
    await ensureCluster(testDb.database, 'default');
    await createJob(testDb.database, { name: 'sleeper', command: { command: 'sleep 60' } }, actor, {
      secrets: testSecrets,
    });
  });

  it('ends on the run:status that makes the run terminal, read from the run row', async () => {
    const feed = feedWith(NO_POLL);
    // No node and no coordinator here: the run stays CREATED until it is canceled.
    const run = await startJob(testDb.database, { job: 'sleeper' }, actor);
    const ended = waitForRunEnd(testDb.database, feed, run.id, { timeoutMs: 60_000 });
    await requestStop(testDb.database, run.id, 'CANCEL', 'test');
    await expect(ended).resolves.toMatchObject({ id: run.id, status: 'CANCELED' });
  });

  it('times out with a clear error while the run goes on', async () => {
    const feed = feedWith(50);
    const run = await startJob(testDb.database, { job: 'sleeper' }, actor);
    await expect(waitForRunEnd(testDb.database, feed, run.id, { timeoutMs: 200 })).rejects.toThrow(
      `timed out after 200 ms waiting for run ${run.id} to end`,
    );
    await requestStop(testDb.database, run.id, 'CANCEL', 'test');
    await expect(waitForRunEnd(testDb.database, feed, run.id, { timeoutMs: 60_000 })).resolves.toMatchObject({
      status: 'CANCELED',
    });
  });
});
