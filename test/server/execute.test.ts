// app.execute runs a GraphQL document in-process for a viewer the caller resolved, through the same
// plugins as HTTP: roles, limits, masking and the mutation rate limit hold exactly as they do over
// POST /graphql (each check is made both ways and compared).
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/db/tokens.ts';
import type { Viewer } from '../../src/graphql/context.ts';
import type { Role } from '../../src/lib/status.ts';
import type { TypedDocument } from '../../src/server/execute.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
const viewers = {} as Record<Role, Viewer>;
const tokens = {} as Record<Role, string>;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const created = await createApiToken(t.database, role, `execute ${role}`);
    viewers[role] = { tokenId: created.id, name: `execute ${role}`, role };
    tokens[role] = created.token;
  }
});
afterAll(() => t?.close());

const CREATE =
  'mutation ($name: String!) { createJob(input: { name: $name, command: { command: "true" } }) { job { name } } }';
const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  (result.errors ?? []).map((e) => e.extensions?.code);

function tooDeep(): string {
  let deep = 'id';
  for (let i = 0; i < 4; i++) deep = `runs(first: 1) { nodes { job { ${deep} } } }`;
  return `{ jobs(first: 1) { nodes { ${deep} } } }`;
}

describe('execute', () => {
  it('answers a query with data, as HTTP does', async () => {
    const result = await t.app.execute({ document: '{ overview { clusters } }', viewer: viewers.viewer });
    expect(result).toEqual({ data: { overview: { clusters: 1 } } });
    expect(await t.graphql('{ overview { clusters } }', {}, tokens.viewer)).toEqual(result);
  });

  it('takes a typed, parsed document and its variables', async () => {
    const document: TypedDocument<{ jobs: { totalCount: number } }, { first: number }> = parse(
      'query Count($first: Int) { jobs(first: $first) { totalCount } }',
    );
    const first = await t.app.execute({ document, variables: { first: 1 }, viewer: viewers.admin });
    const again = await t.app.execute({ document, variables: { first: 2 }, viewer: viewers.admin });
    expect(first.errors).toBeUndefined();
    expect(typeof first.data!.jobs.totalCount).toBe('number');
    expect(again.data).toEqual(first.data);
  });

  it('applies roles: a viewer cannot run a mutation (FORBIDDEN), an operator can', async () => {
    const refused = await t.app.execute({
      document: CREATE,
      variables: { name: 'exec-viewer' },
      viewer: viewers.viewer,
    });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const overHttp = await t.graphql(CREATE, { name: 'http-viewer' }, tokens.viewer);
    expect(codes(overHttp)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0]!.message).toBe(overHttp.errors![0]!.message);

    // Positive control: the same mutation as an admin creates the job.
    const created = await t.app.execute({
      document: CREATE,
      variables: { name: 'exec-admin' },
      viewer: viewers.admin,
    });
    expect(created.errors).toBeUndefined();
    expect(created.data).toEqual({ createJob: { job: { name: 'exec-admin' } } });
  });

  it('applies the limits: a too-deep, too-long or malformed document is refused with a code', async () => {
    const deep = await t.app.execute({ document: tooDeep(), viewer: viewers.admin });
    expect(codes(deep)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(deep.errors![0]!.extensions).toMatchObject({ limit: 'maxDepth' });
    expect(codes(await t.graphql(tooDeep(), {}, tokens.admin))).toEqual(['QUERY_TOO_COMPLEX']);

    const long = `{ overview { clusters } } # ${'x'.repeat(70_000)}`;
    expect(codes(await t.app.execute({ document: long, viewer: viewers.admin }))).toEqual([
      'DOCUMENT_TOO_LARGE',
    ]);
    const syntax = await t.app.execute({ document: '{ overview { ', viewer: viewers.admin });
    expect(syntax.errors).toHaveLength(1);
    expect(syntax.errors![0]!.extensions?.code).toEqual(expect.any(String));
    const unknownField = await t.app.execute({ document: '{ nope }', viewer: viewers.viewer });
    expect(codes(unknownField)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses a subscription, which has no single result', async () => {
    const result = await t.app.execute({
      document: 'subscription { runEvents { __typename } }',
      viewer: viewers.admin,
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toEqual(expect.any(String));
  });

  it('rejects with the reason of an aborted signal', async () => {
    const signal = AbortSignal.abort(new Error('client went away'));
    await expect(
      t.app.execute({ document: '{ overview { clusters } }', viewer: viewers.admin, signal }),
    ).rejects.toThrow('client went away');
  });

  it('masks an unexpected error, with its code, as HTTP does', async () => {
    const broken = await createTestApp({ authEnabled: true });
    const created = await createApiToken(broken.database, 'admin', 'broken admin');
    await broken.close(); // every statement now fails inside the resolvers
    const viewer: Viewer = { tokenId: created.id, name: 'broken admin', role: 'admin' };
    const result = await broken.app.execute({ document: '{ jobs { totalCount } }', viewer });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toBe('Unexpected error.');
    expect(result.errors![0]!.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(result)).not.toMatch(/closed|ended|connection/i);
  });
});

describe('the mutation rate limit', () => {
  it('counts in-process mutations in the same bucket as the viewer’s HTTP requests', async () => {
    const limited = buildServedApp(t.database, { mutationsPerMinute: 2 });
    const overHttp = async (name: string, token: string) =>
      (await (
        await limited.yoga.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: CREATE, variables: { name } }),
        })
      ).json()) as { errors?: { extensions?: Record<string, unknown> }[] };
    expect(codes(await overHttp('rl-1', tokens.admin))).toEqual([]);
    expect(
      codes(await limited.execute({ document: CREATE, variables: { name: 'rl-2' }, viewer: viewers.admin })),
    ).toEqual([]);
    // The bucket (2) is empty for this token, whichever way it asks.
    expect(
      codes(await limited.execute({ document: CREATE, variables: { name: 'rl-3' }, viewer: viewers.admin })),
    ).toEqual(['RATE_LIMITED']);
    expect(codes(await overHttp('rl-4', tokens.admin))).toEqual(['RATE_LIMITED']);
    // Positive control: another token's bucket is full.
    const other = { ...viewers.admin, tokenId: viewers.operator.tokenId };
    expect(
      codes(await limited.execute({ document: CREATE, variables: { name: 'rl-5' }, viewer: other })),
    ).toEqual([]);
  });
});
