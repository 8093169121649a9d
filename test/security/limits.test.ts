// The query limits leave every legitimate operation alone: each contract operation, the README's
// examples and GraphiQL's introspection pass parse and validation with the limits (over both the
// HTTP and the WebSocket path, which share yoga.getEnveloped), while each limit refuses its attack.
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery, GraphQLError, parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOOPBACK_VIEWER } from '../../src/server/auth.ts';
import { DEFAULT_QUERY_LIMITS } from '../../src/server/limits.ts';
import { createTokenBuckets } from '../../src/server/rate-limit.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Parses and validates as the app does (armor limits included); the errors' codes, or []. */
function check(query: string): string[] {
  const viewer = { ...LOOPBACK_VIEWER, role: 'viewer' as const };
  const {
    schema,
    parse: parseDoc,
    validate,
  } = t.app.yoga.getEnveloped({
    jobgateAuth: { viewer, client: 'test' },
  });
  try {
    return validate(schema, parseDoc(query)).map((e: GraphQLError) =>
      String(e.extensions?.code ?? e.message),
    );
  } catch (err) {
    if (err instanceof GraphQLError) return [`${err.extensions.code}:${err.extensions.limit}`];
    throw err;
  }
}

const CONTRACT = readFileSync(
  new URL('../../../shared/contract/operations.graphql', import.meta.url),
  'utf8',
);
const README = [
  '{ run(id: "x") { status vertices { name status subtasks { index status node { name } } metrics { name value } } checkpoints(first: 5) { nodes { id status durationMs } } } }',
  '{ logLines(runId: "x", first: 100) { nodes { seq level message } } }',
  'mutation { triggerSavepoint(input: { runId: "x", requestId: "before-upgrade" }) { savepoint { id } } }',
  'mutation { stopJob(input: { runId: "x", withSavepoint: true }) { run { id } } }',
  'mutation { startJob(input: { job: "orders-demo", fromSavepoint: "s", parallelism: 4 }) { run { id status } } }',
  '{ overview { nodes runsRunning } }',
];

it('passes every contract operation, the README examples and introspection', () => {
  const operations = parse(CONTRACT).definitions as OperationDefinitionNode[];
  expect(operations.length).toBeGreaterThan(10);
  for (const op of operations) {
    const text = CONTRACT.slice(op.loc!.start, op.loc!.end);
    expect(check(text), op.name?.value).toEqual([]);
  }
  for (const example of README) {
    expect(check(example).filter((c) => c.startsWith('QUERY_TOO_COMPLEX'))).toEqual([]);
  }
  expect(check(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
  // The largest page of logs a client may ask for is within the cost limit.
  expect(
    check(
      '{ logLines(runId: "x", first: 1000) { nodes { seq at level message vertex subtaskIndex node } } }',
    ),
  ).toEqual([]);
});

it('refuses each attack with its limit', () => {
  const aliases = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `a${i}: overview { nodes }`).join(' ')} }`;
  expect(check(aliases(DEFAULT_QUERY_LIMITS.maxAliases))).toEqual([]);
  expect(check(aliases(DEFAULT_QUERY_LIMITS.maxAliases + 1))).toEqual(['QUERY_TOO_COMPLEX:maxAliases']);
  expect(check(`{ overview { ${'nodes '.repeat(DEFAULT_QUERY_LIMITS.maxTokens)} } }`)).toEqual([
    'QUERY_TOO_COMPLEX:maxTokens',
  ]);
  let deep = 'id';
  for (let i = 0; i < 4; i++) deep = `runs(first: 1) { nodes { job { ${deep} } } }`;
  expect(check(`{ jobs(first: 1) { nodes { ${deep} } } }`)).toEqual(['QUERY_TOO_COMPLEX:maxDepth']);
  expect(check(`{ overview { ${'nodes @include(if: true) '.repeat(60)} } }`)).toEqual([
    'QUERY_TOO_COMPLEX:maxDirectives',
  ]);
  expect(check('{ jobs(first: 1000) { nodes { runs(first: 1000) { nodes { id } } } } }')).toEqual([
    'QUERY_TOO_COMPLEX:maxCost',
  ]);
});

it('token buckets refill, and a key past its burst waits', () => {
  let now = 0;
  const buckets = createTokenBuckets(3, 60, () => now); // 3 at once, then one a second
  expect([1, 2, 3].map(() => buckets.take('a', 1).ok)).toEqual([true, true, true]);
  const refused = buckets.take('a', 1);
  expect(refused).toEqual({ ok: false, retryAfterMs: 1000 });
  expect(buckets.take('b', 1).ok).toBe(true); // another key, another bucket
  now += 1000;
  expect(buckets.take('a', 1).ok).toBe(true);
  expect(buckets.take('a', 1).ok).toBe(false);
  expect(buckets.take('c', 4)).toEqual({ ok: false, retryAfterMs: Infinity }); // never fits
});
