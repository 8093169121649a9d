// A property-based fuzzer over the whole API: every argument of every query and mutation field (read
// from the schema, so new fields are fuzzed without touching this file) gets generated bad input —
// NUL, lone surrogates, huge strings, out-of-range numbers, wrong enum values, deep and wide JSON,
// ids that exist nowhere — as variables, with an admin token. Never an internal error; a mutation
// that answered with an error changed no row.
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSchema } from '../../src/graphql/schema.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

/** Tables a mutation writes; a failed mutation must leave every count as it was. */
const TABLES = [
  'clusters',
  'jobs',
  'job_versions',
  'vertices',
  'vertex_edges',
  'runs',
  'run_status_history',
  'assignments',
  'subtasks',
  'checkpoints',
  'schedule_ticks',
  'audit_events',
  'events',
  'api_tokens',
  'connections',
  'nodes',
];

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

let t: TestApp;
let admin: string;
const known = { jobs: ['fuzz-pipe', 'fuzz-cmd'], runIds: [] as string[] };

async function counts(): Promise<Record<string, number>> {
  const parts = TABLES.map((name) => `(select count(*) from ${name})::int as ${name}`).join(', ');
  const [row] = await t.database.execute<Record<string, number>>(sql.raw(`select ${parts}`));
  return row!;
}

beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  admin = await t.token('admin');
  const pipeline = { source: [{ plugin_name: 'FakeSource' }], sink: [{ plugin_name: 'Blackhole' }] };
  const create = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
  for (const input of [
    { name: 'fuzz-pipe', pipeline },
    { name: 'fuzz-cmd', command: { command: 'true' } },
  ]) {
    expect((await t.graphql(create, { input }, admin)).errors).toBeUndefined();
  }
  const started = await t.graphql(
    `mutation { startJob(input: { job: "fuzz-pipe" }) { run { id } } }`,
    undefined,
    admin,
  );
  known.runIds.push(started.data!.startJob.run.id);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

// ---- generators ------------------------------------------------------------------------------

const loneSurrogate = fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF');
const badString = fc.oneof(
  fc.string().map((s) => `${s}\u0000${s}`),
  fc.tuple(fc.string(), loneSurrogate, fc.string()).map(([a, b, c]) => `${a}${b}${c}`),
  fc.integer({ min: 201, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    '../../etc/passwd',
    "'; drop table jobs; --",
    '%',
    '_',
    '\\',
    '@at 1999-01-01T00:00:00Z',
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.uuid(),
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.constantFrom(...known.jobs, 'default', 'Europe/Paris', 'Not/AZone', '@every 1s', '* * * * *'),
);
const goodish = fc.oneof(fc.constantFrom(...known.jobs), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/));
const runId = fc.oneof(
  fc.constant(undefined as unknown as string).map(() => known.runIds[0]!),
  fc.stringMatching(/^[0-9a-f]{32}$/),
);
const badInt = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2, 257, 2_147_483_647, -2_147_483_648, 99, 101, 1000),
  fc.constantFrom(2 ** 31, 2 ** 53, -(2 ** 53), 1.5, Number.MAX_SAFE_INTEGER),
);

/** JSON that is deep, wide, or carries bad strings in keys and values. */
const badJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 10, max: 200 }).map((depth) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
    return v;
  }),
  fc
    .integer({ min: 100, max: 3000 })
    .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${i}`]))),
  fc.dictionary(badString, badString, { maxKeys: 3 }),
  fc.record({
    source: fc.array(
      fc.record({
        plugin_name: fc.constantFrom('FakeSource', 'Jdbc', 'LocalFile', 'Nope'),
        row: fc.jsonValue({ maxDepth: 2 }),
      }),
      { maxLength: 2 },
    ),
    sink: fc.array(
      fc.record({ plugin_name: fc.constantFrom('Blackhole', 'Console', 'Assert'), rules: badJson0() }),
      { maxLength: 2 },
    ),
    env: fc.dictionary(
      fc.constantFrom('parallelism', 'job.mode', 'checkpoint.interval'),
      fc.oneof(badInt, badString),
    ),
  }),
  fc.record({
    type: fc.oneof(fc.constantFrom('none', 'fixed-delay', 'exponential-delay'), badString),
    attempts: badInt,
    delayMs: badInt,
    maxDelayMs: badInt,
  }),
);
function badJson0() {
  return fc.jsonValue({ maxDepth: 2 });
}

function valueFor(type: GraphQLInputType, argName: string, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valueFor(type.ofType, argName, depth);
  const nullable = (a: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 9, arbitrary: a }, { weight: 1, arbitrary: fc.constant(null) });
  if (isListType(type)) {
    return nullable(fc.array(valueFor(type.ofType, argName, depth + 1), { maxLength: depth > 2 ? 1 : 4 }));
  }
  if (isEnumType(type)) {
    return fc.oneof(fc.constantFrom(...type.getValues().map((v) => v.value as string)), badString);
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const f of fields) {
      model[f.name] = valueFor(f.type, f.name, depth + 1);
      if (isNonNullType(f.type)) required.push(f.name);
    }
    return fc.record(model, { requiredKeys: required });
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return badInt;
      case 'Float':
        return fc.oneof(fc.double(), badInt);
      case 'Boolean':
        return fc.oneof(fc.boolean(), badString);
      case 'JSON':
        return badJson;
      case 'DateTime':
        return fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          badString,
        );
      default: // String, ID
        if (/runId|^id$/i.test(argName)) return fc.oneof(runId, badString, fc.uuid());
        return fc.oneof({ weight: 3, arbitrary: badString }, { weight: 1, arbitrary: goodish });
    }
  }
  return fc.constant(null);
}

/** An operation calling one root field with every argument as a variable. */
function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const vars = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${kind}${vars ? ` (${vars})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

const schema = getSchema();
const targets = (['query', 'mutation'] as const).flatMap((kind) => {
  const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  return Object.values(root?.getFields() ?? {})
    .filter((f) => f.args.length > 0)
    .map((field) => ({
      kind,
      name: field.name,
      query: operationFor(kind, field),
      variables: fc.record(Object.fromEntries(field.args.map((a) => [a.name, valueFor(a.type, a.name)])), {
        requiredKeys: field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name),
      }),
    }));
});

describe('the fuzzer', () => {
  it('covers every query and mutation field that takes arguments', () => {
    const names = targets.map((x) => x.name);
    for (const f of ['createJob', 'updateJob', 'deleteJob', 'startJob', 'stopJob', 'job', 'run', 'logLines'])
      expect(names).toContain(f);
  });

  it('never answers an internal error, and a failed mutation changes nothing', async () => {
    const seen = new Map<string, number>();
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 0, max: targets.length - 1 })
          .chain((i) => fc.tuple(fc.constant(targets[i]!.name), targets[i]!.variables)),
        async ([name, variables]) => {
          const target = targets.find((x) => x.name === name)!;
          seen.set(target.name, (seen.get(target.name) ?? 0) + 1);
          const before = target.kind === 'mutation' ? await counts() : undefined;
          const answer = await t.graphql(target.query, variables as Record<string, unknown>, admin);
          for (const e of answer.errors ?? []) {
            const code = String(e.extensions?.code);
            codes.set(code, (codes.get(code) ?? 0) + 1);
            expect(code, `${target.name}: ${e.message.slice(0, 300)}`).not.toBe('INTERNAL_SERVER_ERROR');
            expect(e.message).not.toMatch(/^Unexpected error/);
            expect(e.message.length, `${target.name}: an error message stays short`).toBeLessThan(2_000);
          }
          if (before && answer.errors?.length) {
            expect(await counts(), `${target.name} failed but wrote rows`).toEqual(before);
          }
        },
      ),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    // Every field was tried, and most answers were refusals (the inputs are meant to be bad).
    expect(seen.size).toBe(targets.length);
    expect(codes.get('BAD_USER_INPUT') ?? 0).toBeGreaterThan(RUNS / 4);
  }, 300_000);
});
