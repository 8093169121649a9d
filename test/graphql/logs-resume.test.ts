// A real run writes 50,000 log lines (a shell step) while a graphql-ws client disconnects five times
// and resumes each time from the last cursor it got, on PostgreSQL alternately against a second
// gateway process (`jobgate serve`) on the same database: it receives every line exactly once, in
// seq order, and the stream completes when the run has ended.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runs } from '../../src/db/schema/index.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { usingPostgres } from '../support/db.ts';
import { collect, TAIL_LOGS, wsClient, type TailBatch } from '../support/log-tail.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const LINES = 50_000;
/** Where the client drops its connection (lines received so far); the sixth round runs to the end. */
const DISCONNECT_AT = [4_000, 11_000, 19_000, 28_000, 38_000];
/** Prints "line 1" .. "line 50000", pausing a little every 2,000 lines so the log grows while read. */
const COMMAND = `seq 1 ${LINES} | while read i; do echo "line $i"; if [ $((i % 2000)) -eq 0 ]; then sleep 0.2; fi; done`;

let t: TestRuntime;
let served: App;
let localUrl: string;
let second: JobgateProcess | undefined;
let secondUrl: string | undefined;
let token: string;

beforeAll(async () => {
  t = await createTestRuntime();
  served = buildServedApp(t.database, {
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: true,
      events: t.runtime.events,
      logFeed: t.runtime.logFeed,
      metricFeed: t.runtime.metricFeed,
    },
  });
  localUrl = await served.start();
  token = (await createApiToken(t.database, 'viewer', 'log reader')).token;
  if (usingPostgres) {
    second = startJobgate([
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--auth',
      'on',
      '--no-node',
      '--database-url',
      t.testDb.url!,
    ]);
    [, secondUrl] = await second.waitFor(/ready: GraphQL and GraphiQL at (http:\/\/[^\s]+)\/graphql/);
  } else {
    console.log('logs-resume: no second gateway process on PGlite (set TEST_DATABASE_URL for it)');
  }
});

afterAll(async () => {
  await second?.stop();
  await killLeftovers();
  await served?.stop();
  await t?.close();
});

it('a client that disconnects five times gets each of 50,000 lines once, in order', async () => {
  await t.createJob({ name: 'chatty', command: { command: COMMAND } });
  const runId = await t.start('chatty');
  const seqs: number[] = [];
  const messages: string[] = [];
  const gateways: string[] = [];
  let cursor: string | undefined;
  for (let round = 0; round <= DISCONNECT_AT.length; round++) {
    const useSecond = secondUrl !== undefined && round % 2 === 1;
    gateways.push(useSecond ? 'second process' : 'in-process');
    const client = wsClient(useSecond ? secondUrl! : localUrl, token);
    // What arrives after the client decided to leave is never seen (as when the network drops):
    // dispose() only starts the close, and the old socket may still deliver a message meanwhile.
    let listening = true;
    const tail = collect<TailBatch>(client, TAIL_LOGS, { runId, after: cursor }, (data) => {
      if (!listening) return;
      for (const line of data.logs.lines) {
        seqs.push(line.seq);
        messages.push(line.message);
      }
      cursor = data.logs.cursor;
    });
    const stopAt = DISCONNECT_AT[round];
    try {
      if (stopAt === undefined) {
        await until('the stream to complete', () => tail.completed(), { timeoutMs: 240_000 });
        expect(tail.errors).toEqual([]);
      } else {
        await until(`${stopAt} lines`, () => seqs.length >= stopAt || tail.completed(), {
          timeoutMs: 240_000,
        });
      }
    } finally {
      listening = false;
      await client.dispose();
    }
  }
  const [run] = await t.database.db.select().from(runs).where(eq(runs.id, runId));
  expect(run!.status).toBe('FINISHED');
  console.log(
    `logs-resume: ${seqs.length} lines received (run log_seq ${run!.logSeq}) over ${gateways.length} ` +
      `connections: ${gateways.join(', ')}`,
  );
  // Every line of the run, once, in seq order; the command's lines among them in their order.
  expect(seqs.length).toBe(run!.logSeq);
  expect(seqs.every((seq, i) => seq === i + 1)).toBe(true);
  const printed = messages.filter((m) => /^line \d+$/.test(m));
  expect(printed.length).toBe(LINES);
  expect(printed.every((m, i) => m === `line ${i + 1}`)).toBe(true);
  if (usingPostgres) expect(gateways).toContain('second process');
  await until('the feed to let go of every subscriber', () => t.runtime.logFeed.stats().subscribers === 0);
});
