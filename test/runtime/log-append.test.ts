// appendLogLines on both backends: a line reads back exactly as it was appended, seqs are gap-free
// across concurrent writers, a missing run takes nothing, and a refused batch leaves nothing behind.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { createLogAppender } from '../../src/runtime/logs/log-appender.ts';
import { appendLogLines, type LogLineInput } from '../../src/runtime/sql/append-log-lines.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { silentLogger } from '../support/app.ts';

let t: TestDatabase;
let database: Database;

beforeAll(async () => {
  t = await createTestDatabase();
  database = t.database;
});
afterAll(() => t.close());

const NODE = { id: '00000000-0000-4000-8000-00000000a11a', name: 'node\twith\\tab' };

interface Row {
  seq: number;
  at: string;
  level: number;
  node_id: string | null;
  node_name: string | null;
  vertex: string | null;
  subtask_index: number | null;
  message: string;
}

const readLines = (runId: string) =>
  database.query<Row>(
    `select seq::int as seq, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, level::int as level,
       node_id::text as node_id, node_name, vertex, subtask_index, message
     from log_lines where run_id = $1 order by seq`,
    [runId],
  );

it('reads back every line exactly as appended, awkward text included', async () => {
  const { runId } = await seedRun(database, {
    name: 'append-text',
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
  });
  const at = new Date('2026-11-30T01:02:03.456Z');
  const messages = [
    'plain',
    'tab\there',
    'new\nline and \r carriage',
    'back\\slash \\N \\t literal',
    '\\N',
    '',
    'unicode: 日志 ✓ 🚀',
    'trailing backslash \\',
  ];
  const lines: LogLineInput[] = messages.map((message, i) => ({
    at,
    level: [10, 20, 30, 40, 50][i % 5]!,
    vertex: i % 2 ? null : `vertex\t${i}`,
    subtaskIndex: i % 3 ? i : null,
    message,
  }));
  await appendLogLines(database, runId, NODE, lines);
  await appendLogLines(database, runId, { id: null, name: null }, [
    { at, level: 30, message: 'second batch' },
  ]);

  const rows = await readLines(runId);
  expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(rows.slice(0, 8)).toEqual(
    lines.map((l, i) => ({
      seq: i + 1,
      at: '2026-11-30T01:02:03.456Z',
      level: l.level,
      node_id: NODE.id,
      node_name: NODE.name,
      vertex: l.vertex,
      subtask_index: l.subtaskIndex,
      message: l.message,
    })),
  );
  expect(rows[8]).toMatchObject({
    seq: 9,
    node_id: null,
    node_name: null,
    vertex: null,
    message: 'second batch',
  });
});

it('a NUL in a message is stored as U+FFFD instead of losing the batch', async () => {
  const { runId } = await seedRun(database, {
    name: 'append-nul',
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
  });
  const appender = createLogAppender({ database, logger: silentLogger, node: NODE });
  appender.append(runId, 'INFO', 'before');
  appender.append(runId, 'INFO', 'a\0b');
  appender.append(runId, 'INFO', 'after');
  await appender.close();
  expect((await readLines(runId)).map((r) => r.message)).toEqual(['before', 'a\uFFFDb', 'after']);
});

it('concurrent writers of one run get gap-free, distinct seqs; a missing run takes nothing', async () => {
  const { runId } = await seedRun(database, {
    name: 'append-race',
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
  });
  const at = new Date();
  const batch = (writer: number) =>
    Array.from({ length: 250 }, (_, i) => ({ at, level: 30, message: `w${writer} ${i}` }));
  await Promise.all([0, 1, 2, 3].map((w) => appendLogLines(database, runId, NODE, batch(w))));
  await appendLogLines(database, 'f'.repeat(32), NODE, batch(9));

  const rows = await readLines(runId);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  // Each writer's batch is one contiguous, ordered range.
  for (const w of [0, 1, 2, 3]) {
    const mine = rows.filter((r) => r.message.startsWith(`w${w} `));
    expect(mine.map((r) => r.message)).toEqual(batch(w).map((l) => l.message));
    expect(mine.at(-1)!.seq - mine[0]!.seq).toBe(249);
  }
  const [orphans] = await database.query<{ n: number }>(
    `select count(*)::int as n from log_lines where run_id = $1`,
    ['f'.repeat(32)],
  );
  expect(orphans!.n).toBe(0);
});

it('a batch the server refuses rejects, writes nothing and reserves no seqs', async () => {
  const { runId } = await seedRun(database, {
    name: 'append-refused',
    vertices: 1,
    parallelism: 1,
    checkpoints: 0,
  });
  const at = new Date();
  await appendLogLines(database, runId, NODE, [{ at, level: 30, message: 'kept' }]);
  // Level 99 breaks log_lines_level_check on the server.
  const refused = await appendLogLines(database, runId, NODE, [
    { at, level: 30, message: 'fine' },
    { at, level: 99, message: 'refused' },
  ]).then(
    () => 'written',
    (err: Error) => `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`,
  );
  expect(refused).toMatch(/log_lines_level_check/);
  await appendLogLines(database, runId, NODE, [{ at, level: 30, message: 'next' }]);
  expect((await readLines(runId)).map((r) => [r.seq, r.message])).toEqual([
    [1, 'kept'],
    [2, 'next'],
  ]);
});
