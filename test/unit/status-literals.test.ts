// Statuses are named from lib/ (RunStatus.RUNNING, sqlLiteral(SLOT_HOLDING_STATUSES), ...), never
// retyped: a quoted status anywhere in src/ outside lib/ fails here with its file and line.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CHECKPOINT_STATUSES, NODE_STATUSES, RUN_STATUSES, SUBTASK_STATUSES } from '../../src/lib/status.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');
const lib = join(src, 'lib');

const statuses = [
  ...new Set([...RUN_STATUSES, ...SUBTASK_STATUSES, ...NODE_STATUSES, ...CHECKPOINT_STATUSES]),
];
/** A status between quotes of any kind: a string, a template, or a literal inside SQL text. */
const quoted = new RegExp(`(['"\`])(${statuses.join('|')})\\1`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === lib ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

function statusLiterals(files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (quoted.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

it('no status literal of any entity in src/ outside src/lib/', () => {
  const files = sourceFiles(src);
  expect(files.length).toBeGreaterThan(50);
  expect(statusLiterals(files)).toEqual([]);
});

it('the scan sees literals of every kind it looks for (positive control)', () => {
  const sample = [
    `if (run.status === 'RUNNING') return;`,
    `const x = { status: "DOWN" };`,
    "sql`where status in ('SCHEDULED', 'CANCELING')`",
    'const s = `IN_PROGRESS`;',
    `const fine = RunStatus.RUNNING; // RUNNING in a comment is not a literal`,
  ];
  const hits = sample.filter((line) => quoted.test(line));
  expect(hits).toEqual(sample.slice(0, 4));
});
