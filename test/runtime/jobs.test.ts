// Job definitions over time: versions, deletion, and who may define shell commands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revealSecrets } from '../../src/runtime/definition/secret-options.ts';
import { testSecrets } from '../support/secrets.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

let t: TestRuntime;
const dir = mkdtempSync(join(tmpdir(), 'jobgate-jobs-'));
beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

it('updateJob makes a new version; a running run keeps its own', async () => {
  // The first run holds until the test has updated the job, so the update lands while it runs.
  const gate = join(dir, 'updated');
  await t.createJob({
    name: 'versioned',
    command: { command: `while [ ! -e '${gate}' ]; do sleep 0.05; done; echo v1` },
  });
  const first = await t.start('versioned');
  await t.waitForRun(first, ['RUNNING']);
  const updated = await t.graphql(
    `mutation { updateJob(input: { name: "versioned", command: { command: "echo v2" }, schedule: "@manually" }) { job { version schedule } } }`,
  );
  expect(updated.errors).toBeUndefined();
  expect(updated.data!.updateJob.job).toEqual({ version: 2, schedule: '@manually' });
  const during = await t.graphql(`query($id: ID!) { run(id: $id) { status } }`, { id: first });
  expect(during.data!.run.status).toBe('RUNNING');
  writeFileSync(gate, '');
  await t.waitForRun(first, ['FINISHED']);
  const second = await t.start('versioned');
  await t.waitForRun(second, ['FINISHED']);
  const q = `query($id: ID!) { run(id: $id) { jobVersion } logLines(runId: $id, first: 50) { nodes { message } } }`;
  const a = await t.graphql(q, { id: first });
  const b = await t.graphql(q, { id: second });
  expect(a.data!.run.jobVersion).toBe(1);
  expect(b.data!.run.jobVersion).toBe(2);
  expect(a.data!.logLines.nodes.map((l: any) => l.message)).toContain('v1');
  expect(b.data!.logLines.nodes.map((l: any) => l.message)).toContain('v2');
});

it('deleteJob hides the job, keeps its runs readable and frees the name', async () => {
  await t.createJob({ name: 'doomed', command: { command: 'true' } });
  const runId = await t.start('doomed');
  await t.waitForRun(runId, ['FINISHED']);
  const deleted = await t.graphql(`mutation { deleteJob(name: "doomed") { job { name } } }`);
  expect(deleted.errors).toBeUndefined();
  expect((await t.graphql({ contract: 'Job' }, { name: 'doomed' })).errors![0]!.extensions!.code).toBe(
    'NOT_FOUND',
  );
  expect((await t.graphql({ contract: 'Run' }, { id: runId })).data!.run.job.name).toBe('doomed');
  await t.createJob({ name: 'doomed', command: { command: 'true' } });
});

it('operators may not define shell commands; admins may', async () => {
  // auth is off in this app, so check through an app with auth on
  const { createTestApp } = await import('../support/app.ts');
  const secured = await createTestApp({ authEnabled: true });
  try {
    const op = await secured.token('operator');
    const viewer = await secured.token('viewer');
    const admin = await secured.token('admin');
    const input = { name: 'shell', command: { command: 'true' } };
    const denied = await secured.graphql({ contract: 'CreateJob' }, { input }, op);
    expect(denied.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const pipeline = {
      name: 'pipe',
      pipeline: { source: [{ plugin_name: 'FakeSource' }], sink: [{ plugin_name: 'Blackhole' }] },
    };
    expect(
      (await secured.graphql({ contract: 'CreateJob' }, { input: pipeline }, viewer)).errors![0]!.extensions!
        .code,
    ).toBe('FORBIDDEN');
    expect(
      (await secured.graphql({ contract: 'CreateJob' }, { input: pipeline }, op)).errors,
    ).toBeUndefined();
    expect((await secured.graphql({ contract: 'CreateJob' }, { input }, admin)).errors).toBeUndefined();
    expect(
      (await secured.graphql({ contract: 'StartJob' }, { job: 'pipe' }, viewer)).errors![0]!.extensions!.code,
    ).toBe('FORBIDDEN');
  } finally {
    await secured.close();
  }
});

it('a version setting changes a job that holds a sealed secret; the secret stays sealed and the same', async () => {
  await t.createJob({
    name: 'sealed',
    pipeline: {
      env: { parallelism: 1 },
      source: [
        {
          plugin_name: 'Jdbc',
          url: 'jdbc:postgresql://127.0.0.1:1/nowhere',
          user: 'reader',
          password: 'hunter2',
          query: 'select 1 as id',
          plugin_output: 'rows',
        },
      ],
      sink: [{ plugin_name: 'Blackhole', plugin_input: 'rows' }],
    },
  });
  // A column that is merely named like a secret is data: its type is neither sealed nor hidden.
  await t.createJob({
    name: 'columns',
    pipeline: {
      source: [{ plugin_name: 'FakeSource', 'row.num': 1, 'schema.fields': { api_token: 'string' } }],
      sink: [{ plugin_name: 'Blackhole' }],
    },
  });
  for (const name of ['sealed', 'columns']) {
    const updated = await t.graphql(
      `mutation($name: String!) { updateJob(input: { name: $name, parallelism: 2 }) { job { version parallelism definition } } }`,
      { name },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateJob.job).toMatchObject({ version: 2, parallelism: 2 });
  }
  const shown = await t.graphql(
    `{ a: job(name: "sealed") { definition } b: job(name: "columns") { definition } }`,
  );
  expect(JSON.stringify(shown.data!.a.definition)).not.toContain('hunter2');
  expect(shown.data!.a.definition.source[0].password).toBe('[redacted]');
  expect(shown.data!.b.definition.source[0]['schema.fields']).toEqual({ api_token: 'string' });
  // Stored sealed, and it opens to the same secret with the key.
  const [stored] = await t.database.execute<{ definition: any }>(
    sql`select v.definition from job_versions v join jobs j on j.id = v.job_id
        where j.name = 'sealed' and v.version = 2`,
  );
  expect(JSON.stringify(stored!.definition)).not.toContain('hunter2');
  expect(revealSecrets(stored!.definition, testSecrets).source[0].password).toBe('hunter2');
});
